import type pg from 'pg';
import type { Role } from '../auth/principal';
import { GRANTS_CHANNEL } from './grant-notices';

export interface ConnectionRow {
  connection_id: string;
  name: string;
  options: Record<string, unknown>;
  enabled: boolean;
  created_at: Date;
}

export interface ApiKeyRow {
  key_id: string;
  name: string;
  key_prefix: string;
  role: Role;
  all_connections: boolean;
  connection_ids: string[];
  created_at: Date;
  revoked_at: Date | null;
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

export class DuplicateNameError extends Error {}

function isPgError(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === code;
}

/** Tenancy tables: connections, leases and API keys. Broker URLs arrive here already sealed. */
export function createAdminStore(pool: pg.Pool) {
  return {
    async addConnection(name: string, sealedBrokerUrl: Buffer, options: Record<string, unknown>) {
      try {
        const { rows } = await pool.query<ConnectionRow>(
          `INSERT INTO celeriac.connections (name, broker_url_encrypted, options) VALUES ($1, $2, $3)
           RETURNING connection_id, name, options, enabled, created_at`,
          [name, sealedBrokerUrl, JSON.stringify(options)],
        );
        return rows[0] as ConnectionRow;
      } catch (error) {
        if (isPgError(error, UNIQUE_VIOLATION))
          throw new DuplicateNameError(`a connection named '${name}' exists`);
        throw error;
      }
    },
    async listConnections(): Promise<ConnectionRow[]> {
      const { rows } = await pool.query<ConnectionRow>(
        'SELECT connection_id, name, options, enabled, created_at FROM celeriac.connections ORDER BY name LIMIT 10000',
      );
      return rows;
    },
    async connectionExists(connectionId: string): Promise<boolean> {
      const { rows } = await pool.query('SELECT 1 FROM celeriac.connections WHERE connection_id = $1', [
        connectionId,
      ]);
      return rows.length > 0;
    },
    /** Up to two ids, enough to tell "exactly one connection" from "several". */
    async someConnectionIds(): Promise<string[]> {
      const { rows } = await pool.query<{ connection_id: string }>(
        'SELECT connection_id FROM celeriac.connections ORDER BY created_at LIMIT 2',
      );
      return rows.map((row) => row.connection_id);
    },
    async deleteConnection(connectionId: string): Promise<boolean> {
      // Announced in the same statement: every replica ends the connection's streams at once.
      const { rowCount } = await pool.query(
        `WITH gone AS (DELETE FROM celeriac.connections WHERE connection_id = $1 RETURNING connection_id)
         SELECT pg_notify($2, connection_id::text) FROM gone`,
        [connectionId, GRANTS_CHANNEL],
      );
      return (rowCount ?? 0) > 0;
    },
    /**
     * Re-seals every connection's broker URL in one transaction (a key rotation): `reseal` opens a
     * row under any configured key and seals it under the current one; if it throws for any row,
     * nothing is changed.
     */
    async resealBrokerUrls(reseal: (sealed: Buffer, connectionId: string) => Buffer): Promise<number> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ connection_id: string; broker_url_encrypted: Buffer }>(
          `SELECT connection_id, broker_url_encrypted FROM celeriac.connections
           ORDER BY connection_id FOR UPDATE`,
        );
        for (const row of rows) {
          await client.query(
            'UPDATE celeriac.connections SET broker_url_encrypted = $2 WHERE connection_id = $1',
            [row.connection_id, reseal(row.broker_url_encrypted, row.connection_id)],
          );
        }
        await client.query('COMMIT');
        return rows.length;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async ownerAddress(connectionId: string): Promise<string | undefined> {
      const { rows } = await pool.query<{ owner_grpc_address: string }>(
        `SELECT owner_grpc_address FROM celeriac.connection_leases
         WHERE connection_id = $1 AND expires_at > now()`,
        [connectionId],
      );
      return rows[0]?.owner_grpc_address;
    },
    async createKey(key: {
      name: string;
      prefix: string;
      hash: Buffer;
      role: Role;
      allConnections: boolean;
      connectionIds: string[];
    }): Promise<ApiKeyRow> {
      try {
        const { rows } = await pool.query<ApiKeyRow>(
          `INSERT INTO celeriac.api_keys (name, key_prefix, key_hash, role, all_connections, connection_ids)
           VALUES ($1, $2, $3, $4, $5, $6::uuid[])
           RETURNING key_id, name, key_prefix, role, all_connections, connection_ids, created_at, revoked_at`,
          [key.name, key.prefix, key.hash, key.role, key.allConnections, key.connectionIds],
        );
        return rows[0] as ApiKeyRow;
      } catch (error) {
        if (isPgError(error, FOREIGN_KEY_VIOLATION)) throw new DuplicateNameError('unknown connection');
        throw error;
      }
    },
    async listKeys(): Promise<ApiKeyRow[]> {
      const { rows } = await pool.query<ApiKeyRow>(
        `SELECT key_id, name, key_prefix, role, all_connections, connection_ids, created_at, revoked_at
         FROM celeriac.api_keys ORDER BY created_at LIMIT 10000`,
      );
      return rows;
    },
    async revokeKey(keyId: string): Promise<boolean> {
      // Announced in the same statement: every replica ends the key's streams at once.
      const { rowCount } = await pool.query(
        `WITH revoked AS (
           UPDATE celeriac.api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL
           RETURNING key_id)
         SELECT pg_notify($2, key_id::text) FROM revoked`,
        [keyId, GRANTS_CHANNEL],
      );
      return (rowCount ?? 0) > 0;
    },
    async findLiveKeyByHash(hash: Buffer): Promise<ApiKeyRow | undefined> {
      const { rows } = await pool.query<ApiKeyRow>(
        `SELECT key_id, name, key_prefix, role, all_connections, connection_ids, created_at, revoked_at
         FROM celeriac.api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
        [hash],
      );
      return rows[0];
    },
  };
}

export type AdminStore = ReturnType<typeof createAdminStore>;
