import type pg from 'pg';
import type { Role } from '../auth/principal';
import { GRANTS_CHANNEL } from './grant-notices';

export interface SessionKeyRow {
  key_id: string;
  name: string;
  role: Role;
  all_connections: boolean;
  connection_ids: string[];
  /** Milliseconds the session has left, by the database's clock (the gateway's may differ). */
  expires_in_ms: number;
}

/** Sessions one key may hold; signing in again past this drops its oldest ones. */
const SESSIONS_PER_KEY = 50;
/** Expired rows removed per sign-in, so the clean-up never turns into one long delete. */
const EXPIRED_PER_SIGN_IN = 100;

/** celeriac.dashboard_sessions: rows are keyed by the SHA-256 of the cookie value, never the value. */
export function createSessionsStore(pool: pg.Pool) {
  return {
    async create(hash: Buffer, keyId: string, ttlSeconds: number): Promise<void> {
      await pool.query(
        `INSERT INTO celeriac.dashboard_sessions (session_hash, key_id, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))`,
        [hash, keyId, ttlSeconds],
      );
      // The sessions dropped here may have open streams: announced like a sign-out.
      await pool.query(
        `WITH gone AS (
           DELETE FROM celeriac.dashboard_sessions WHERE session_hash IN (
             SELECT session_hash FROM celeriac.dashboard_sessions WHERE key_id = $1
             ORDER BY created_at DESC OFFSET $2)
           RETURNING key_id)
         SELECT pg_notify($3, key_id::text) FROM (SELECT DISTINCT key_id FROM gone) AS ended`,
        [keyId, SESSIONS_PER_KEY, GRANTS_CHANNEL],
      );
      await pool.query(
        `DELETE FROM celeriac.dashboard_sessions WHERE session_hash IN (
           SELECT session_hash FROM celeriac.dashboard_sessions WHERE expires_at < now() LIMIT $1)`,
        [EXPIRED_PER_SIGN_IN],
      );
    },

    /** The live key behind a live session; nothing once the key is revoked or the session expired. */
    async findKey(hash: Buffer): Promise<SessionKeyRow | undefined> {
      const { rows } = await pool.query<SessionKeyRow>(
        `SELECT k.key_id, k.name, k.role, k.all_connections, k.connection_ids,
           ceil(extract(epoch FROM s.expires_at - now()) * 1000)::float8 AS expires_in_ms
         FROM celeriac.dashboard_sessions s JOIN celeriac.api_keys k ON k.key_id = s.key_id
         WHERE s.session_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
        [hash],
      );
      return rows[0];
    },

    /**
     * Sign-out. Announced in the same statement, on the channel of revoked keys: every replica then
     * rechecks its open streams, whose grants include the session (grants-store.ts), and ends its ones.
     */
    async delete(hash: Buffer): Promise<void> {
      await pool.query(
        `WITH gone AS (DELETE FROM celeriac.dashboard_sessions WHERE session_hash = $1 RETURNING key_id)
         SELECT pg_notify($2, key_id::text) FROM gone`,
        [hash, GRANTS_CHANNEL],
      );
    },

    /** Connections a key sees, for the connection switcher (bounded: a page cannot list more). */
    async connections(all: boolean, ids: readonly string[]): Promise<{ id: string; name: string }[]> {
      const { rows } = await pool.query<{ id: string; name: string }>(
        `SELECT connection_id AS id, name FROM celeriac.connections
         WHERE $1 OR connection_id = ANY($2::uuid[]) ORDER BY name LIMIT 1000`,
        [all, ids],
      );
      return rows;
    },
  };
}

export type SessionsStore = ReturnType<typeof createSessionsStore>;
