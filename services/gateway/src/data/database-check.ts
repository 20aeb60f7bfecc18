import type pg from 'pg';

/** The readiness probe's PostgreSQL check: one round trip over the gateway's pool. */
export function databaseCheck(pool: pg.Pool): () => Promise<void> {
  return async () => {
    await pool.query('SELECT 1');
  };
}
