import type { Logger } from '@celeriac/service-runtime/logger';
import { createPgPool, defaultPgTimeouts, type PgTimeouts } from '@celeriac/service-runtime/pg-pool';

/** A connection row as the collector needs it; the broker URL stays sealed until a runner opens it. */
export interface ConnectionRow {
  connectionId: string;
  name: string;
  brokerUrlEncrypted: Buffer;
  options: Record<string, unknown>;
  enabled: boolean;
}

export interface LeaseOwner {
  ownerId: string;
  ownerGrpcAddress: string;
  expired: boolean;
}

/**
 * All SQL of the collector: connections (read; insert for tests and tools), leases and event gaps. Lease times
 * come from the database clock (`now()`), so collectors with skewed clocks still agree on expiry.
 */
/** The row a statement always returns (INSERT ... RETURNING, a SELECT of aggregates). */
function onlyRow<T>(rows: readonly T[], statement: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`${statement} returned no row`);
  return row;
}

export function createCollectorStore(options: {
  databaseUrl: string;
  logger: Logger;
  maxClients?: number;
  timeouts?: PgTimeouts;
}) {
  const pool = createPgPool({
    connectionString: options.databaseUrl,
    max: options.maxClients ?? 4,
    timeouts: options.timeouts ?? defaultPgTimeouts,
    logger: options.logger,
    applicationName: 'celeriac-collector',
  });

  return {
    async close(): Promise<void> {
      await pool.end();
    },

    /** Readiness: one round trip to the database. */
    async ping(): Promise<void> {
      await pool.query('SELECT 1');
    },

    async insertConnection(row: {
      name: string;
      brokerUrlEncrypted: Buffer;
      options?: Record<string, unknown>;
    }): Promise<string> {
      const result = await pool.query<{ connection_id: string }>(
        'INSERT INTO celeriac.connections (name, broker_url_encrypted, options) VALUES ($1, $2, $3) RETURNING connection_id',
        [row.name, row.brokerUrlEncrypted, JSON.stringify(row.options ?? {})],
      );
      return onlyRow(result.rows, 'connection insert').connection_id;
    },

    async getConnection(connectionId: string): Promise<ConnectionRow | undefined> {
      const result = await pool.query(
        `SELECT connection_id, name, broker_url_encrypted, options, enabled FROM celeriac.connections
         WHERE connection_id::text = $1`,
        [connectionId],
      );
      const row = result.rows[0];
      if (!row) return undefined;
      return {
        connectionId: row.connection_id,
        name: row.name,
        brokerUrlEncrypted: row.broker_url_encrypted,
        options: row.options ?? {},
        enabled: row.enabled,
      };
    },

    /**
     * Claims up to `limit` enabled connections that have no lease or an expired one. SKIP LOCKED lets
     * concurrent collectors claim disjoint sets; the ON CONFLICT guard re-checks expiry against the
     * latest committed lease row, so a lease renewed meanwhile is never stolen.
     */
    async claimLeases(owner: {
      ownerId: string;
      grpcAddress: string;
      ttlMs: number;
      limit: number;
    }): Promise<string[]> {
      if (owner.limit <= 0) return [];
      const result = await pool.query<{ connection_id: string }>(
        `WITH candidates AS (
           SELECT c.connection_id FROM celeriac.connections c
           LEFT JOIN celeriac.connection_leases l ON l.connection_id = c.connection_id
           WHERE c.enabled AND (l.connection_id IS NULL OR l.expires_at < now())
           ORDER BY c.connection_id
           LIMIT $4
           FOR UPDATE OF c SKIP LOCKED)
         INSERT INTO celeriac.connection_leases AS lease
           (connection_id, owner_id, owner_grpc_address, acquired_at, renewed_at, expires_at)
         SELECT connection_id, $1, $2, now(), now(), now() + make_interval(secs => $3 / 1000.0) FROM candidates
         ON CONFLICT (connection_id) DO UPDATE
           SET owner_id = EXCLUDED.owner_id, owner_grpc_address = EXCLUDED.owner_grpc_address,
               acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
           WHERE lease.expires_at < now()
         RETURNING connection_id`,
        [owner.ownerId, owner.grpcAddress, owner.ttlMs, owner.limit],
      );
      return result.rows.map((row) => row.connection_id);
    },

    /** Extends this owner's leases; returns the ones still held (a missing id was lost). */
    async renewLeases(ownerId: string, connectionIds: string[], ttlMs: number): Promise<string[]> {
      if (connectionIds.length === 0) return [];
      const result = await pool.query<{ connection_id: string }>(
        `UPDATE celeriac.connection_leases l SET renewed_at = now(), expires_at = now() + make_interval(secs => $3 / 1000.0)
         FROM celeriac.connections c
         WHERE l.connection_id = c.connection_id AND c.enabled AND l.owner_id = $1 AND l.connection_id = ANY($2::uuid[])
         RETURNING l.connection_id`,
        [ownerId, connectionIds, ttlMs],
      );
      return result.rows.map((row) => row.connection_id);
    },

    async releaseLeases(ownerId: string, connectionIds: string[]): Promise<void> {
      if (connectionIds.length === 0) return;
      await pool.query(
        'DELETE FROM celeriac.connection_leases WHERE owner_id = $1 AND connection_id = ANY($2::uuid[])',
        [ownerId, connectionIds],
      );
    },

    /** How many connections exist and how many collectors hold a live lease (for the fair share). */
    async leaseCensus(ownerId: string): Promise<{ connections: number; otherOwners: number }> {
      const result = await pool.query<{ connections: string; other_owners: string }>(
        `SELECT (SELECT count(*) FROM celeriac.connections WHERE enabled) AS connections,
                (SELECT count(DISTINCT owner_id) FROM celeriac.connection_leases
                  WHERE expires_at >= now() AND owner_id <> $1) AS other_owners`,
        [ownerId],
      );
      const row = onlyRow(result.rows, 'lease census');
      return { connections: Number(row.connections), otherOwners: Number(row.other_owners) };
    },

    /**
     * Opens one gap row (see migration 0013) and trims the connection's rows to the newest
     * `keepPerConnection`, so a flapping broker cannot grow the table without bound.
     */
    async openGap(gap: {
      connectionId: string;
      cause: 'buffer-full' | 'disconnected' | 'subscribed';
      collectorId: string;
      /** A point in time rather than a window: ended_at is set at once. */
      instant: boolean;
      keepPerConnection: number;
    }): Promise<string> {
      const result = await pool.query<{ gap_id: string }>(
        `WITH inserted AS (
           INSERT INTO celeriac.event_gaps (connection_id, cause, collector_id, ended_at)
           VALUES ($1, $2, $3, CASE WHEN $4::boolean THEN now() END) RETURNING gap_id),
         trimmed AS (
           DELETE FROM celeriac.event_gaps WHERE connection_id = $1 AND gap_id IN (
             SELECT gap_id FROM celeriac.event_gaps WHERE connection_id = $1
             ORDER BY gap_id DESC OFFSET $5))
         SELECT gap_id FROM inserted`,
        [gap.connectionId, gap.cause, gap.collectorId, gap.instant, Math.max(gap.keepPerConnection - 1, 0)],
      );
      return onlyRow(result.rows, 'gap insert').gap_id;
    },

    /** Closes an open gap row with what was counted as dropped in it (null: not countable). */
    async closeGap(gapId: string, dropped: { messages: number; bytes: number } | undefined): Promise<void> {
      await pool.query(
        `UPDATE celeriac.event_gaps SET ended_at = now(), dropped_messages = $2, dropped_bytes = $3
         WHERE gap_id = $1`,
        [gapId, dropped?.messages ?? null, dropped?.bytes ?? null],
      );
    },

    async leaseOwner(connectionId: string): Promise<LeaseOwner | undefined> {
      const result = await pool.query(
        `SELECT owner_id, owner_grpc_address, expires_at < now() AS expired FROM celeriac.connection_leases
         WHERE connection_id::text = $1`,
        [connectionId],
      );
      const row = result.rows[0];
      return row
        ? { ownerId: row.owner_id, ownerGrpcAddress: row.owner_grpc_address, expired: row.expired }
        : undefined;
    },
  };
}

export type CollectorStore = ReturnType<typeof createCollectorStore>;
