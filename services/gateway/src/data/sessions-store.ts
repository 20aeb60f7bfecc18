import type pg from 'pg';
import type { Role } from '../auth/principal';

export interface SessionKeyRow {
  key_id: string;
  name: string;
  role: Role;
  all_connections: boolean;
  connection_ids: string[];
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
      await pool.query(
        `DELETE FROM celeriac.dashboard_sessions WHERE session_hash IN (
           SELECT session_hash FROM celeriac.dashboard_sessions WHERE key_id = $1
           ORDER BY created_at DESC OFFSET $2)`,
        [keyId, SESSIONS_PER_KEY],
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
        `SELECT k.key_id, k.name, k.role, k.all_connections, k.connection_ids
         FROM celeriac.dashboard_sessions s JOIN celeriac.api_keys k ON k.key_id = s.key_id
         WHERE s.session_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
        [hash],
      );
      return rows[0];
    },

    async delete(hash: Buffer): Promise<void> {
      await pool.query('DELETE FROM celeriac.dashboard_sessions WHERE session_hash = $1', [hash]);
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
