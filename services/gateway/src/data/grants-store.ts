import type pg from 'pg';
import { type CheckGrants, grantKey, type StreamGrant } from '../streams/revocation-sweep';

/**
 * The revocation check of open streams: which (key, connection) pairs are still granted. A null key
 * (auth disabled) needs only the connection to exist.
 */
export function createGrantsStore(pool: pg.Pool): { liveGrants: CheckGrants } {
  return {
    async liveGrants(grants: readonly StreamGrant[]) {
      const { rows } = await pool.query<{ key_id: string | null; connection_id: string }>(
        `SELECT g.key_id, g.connection_id
         FROM unnest($1::uuid[], $2::uuid[]) AS g(key_id, connection_id)
         JOIN celeriac.connections c ON c.connection_id = g.connection_id
         WHERE g.key_id IS NULL OR EXISTS (
           SELECT 1 FROM celeriac.api_keys k
           WHERE k.key_id = g.key_id AND k.revoked_at IS NULL
             AND (k.all_connections OR g.connection_id = ANY (k.connection_ids)))`,
        [grants.map((grant) => grant.keyId), grants.map((grant) => grant.connectionId)],
      );
      return new Set(rows.map((row) => grantKey({ keyId: row.key_id, connectionId: row.connection_id })));
    },
  };
}
