import type pg from 'pg';
import { type CheckGrants, grantKey, type StreamGrant } from '../streams/revocation-sweep';

/**
 * The revocation check of open streams: which (key, connection, session) grants still hold. A null key
 * (auth disabled) needs only the connection to exist; a stream opened with a dashboard session also
 * needs that session (signed out: row deleted; or expired).
 */
export function createGrantsStore(pool: pg.Pool): { liveGrants: CheckGrants } {
  return {
    async liveGrants(grants: readonly StreamGrant[]) {
      const { rows } = await pool.query<{
        key_id: string | null;
        connection_id: string;
        session_id: string | null;
      }>(
        `SELECT g.key_id, g.connection_id, g.session_id
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS g(key_id, connection_id, session_id)
         JOIN celeriac.connections c ON c.connection_id = g.connection_id
         WHERE (g.key_id IS NULL OR EXISTS (
             SELECT 1 FROM celeriac.api_keys k
             WHERE k.key_id = g.key_id AND k.revoked_at IS NULL
               AND (k.all_connections OR g.connection_id = ANY (k.connection_ids))))
           AND (g.session_id IS NULL OR EXISTS (
             SELECT 1 FROM celeriac.dashboard_sessions s
             WHERE s.session_hash = decode(g.session_id, 'hex') AND s.key_id = g.key_id
               AND s.expires_at > now()))`,
        [
          grants.map((grant) => grant.keyId),
          grants.map((grant) => grant.connectionId),
          grants.map((grant) => grant.sessionId ?? null),
        ],
      );
      return new Set(
        rows.map((row) =>
          grantKey({
            keyId: row.key_id,
            connectionId: row.connection_id,
            ...(row.session_id !== null && { sessionId: row.session_id }),
          }),
        ),
      );
    },
  };
}
