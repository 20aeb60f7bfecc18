import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWorkerAlive, workerAliveSql } from './worker-liveness';

/**
 * The SQL forms of the liveness rule (the view celeriac.worker_status, and the expression the
 * gateway and the projector's sweep use) against isWorkerAlive, on the same rows of a real
 * PostgreSQL. Rows are written relative to now() inside one transaction, where now() stands still.
 */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/**
 * [hostname, freq, seconds since the heartbeat was received (null: none), offline Celery time minus
 * the heartbeat's (s), the projector's stored verdict `online`]
 */
const CASES: [string, number | null, number | null, number | null, boolean][] = [
  ['no-freq-recent', null, 119, null, true],
  ['no-freq-expired', null, 121, null, true],
  ['no-freq-after-4s', null, 4.5, null, true],
  ['freq-2-alive', 2, 3.9, null, true],
  ['freq-2-expired', 2, 4.1, null, true],
  ['freq-30-alive', 30, 59, null, true],
  ['offline-after-heartbeat', 2, 1, 5, true],
  ['offline-same-time', 2, 1, 0, true],
  ['heartbeat-after-offline', 2, 1, -5, true],
  ['never-heard', 2, null, null, true],
  ['zero-freq', 0, 100, null, true],
  ['expired-by-the-projector', 2, 1, null, false],
];

describe('celeriac.worker_status', () => {
  it('says alive exactly when isWorkerAlive does, on the same rows', async () => {
    const connectionId = randomUUID();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const [hostname, freq, ago, offlineDelta, online] of CASES) {
        await client.query(
          `INSERT INTO celeriac.workers (connection_id, hostname, freq, first_seen_at, last_heartbeat,
             last_heartbeat_at, offline_ts, online)
           VALUES ($1, $2, $3, now() - interval '1 hour', CASE WHEN $4::float8 IS NULL THEN NULL ELSE 1000 END,
             now() - make_interval(secs => $4::float8), 1000 + $5::float8, $6)`,
          [connectionId, hostname, freq, ago, offlineDelta, online],
        );
      }
      const { rows } = await client.query<{
        hostname: string;
        freq: number | null;
        last_heartbeat: number | null;
        heard_ms: string | null;
        offline_ts: number | null;
        online: boolean;
        now_ms: string;
        view_alive: boolean;
        expression_alive: boolean;
      }>(
        `SELECT w.hostname, w.freq, w.last_heartbeat, w.offline_ts, w.online,
                (extract(epoch FROM w.last_heartbeat_at) * 1000)::text AS heard_ms,
                (extract(epoch FROM now()) * 1000)::text AS now_ms,
                s.alive AS view_alive, ${workerAliveSql('now()', 'w')} AS expression_alive
         FROM celeriac.workers w JOIN celeriac.worker_status s USING (connection_id, hostname)
         WHERE w.connection_id = $1 ORDER BY w.hostname`,
        [connectionId],
      );
      await client.query('ROLLBACK');
      expect(rows).toHaveLength(CASES.length);
      const verdicts = rows.map((row) => {
        // `online` is the projector's verdict by the same rule at its own clock (see workerAliveSql).
        const expected =
          row.online &&
          isWorkerAlive(
            {
              lastHeartbeat: row.last_heartbeat,
              lastHeartbeatAtMs: row.heard_ms === null ? null : Number(row.heard_ms),
              offlineTs: row.offline_ts,
              freq: row.freq,
            },
            Number(row.now_ms),
          );
        return { hostname: row.hostname, expected, view: row.view_alive, expression: row.expression_alive };
      });
      for (const verdict of verdicts) {
        expect(verdict.view, verdict.hostname).toBe(verdict.expected);
        expect(verdict.expression, verdict.hostname).toBe(verdict.expected);
      }
      // Both verdicts occur, so the comparison is not vacuous; the 60 s default keeps a worker
      // without freq alive 4.5 s after its last heartbeat.
      expect(verdicts.find((v) => v.hostname === 'no-freq-after-4s')?.expected).toBe(true);
      expect(new Set(verdicts.map((v) => v.expected))).toEqual(new Set([true, false]));
    } finally {
      client.release();
    }
  });
});
