import { insertConnection, insertKey, startTestGateway } from '@celeriac/gateway/testing/gateway-fixture';
import pg from 'pg';
import { createTestDatabase } from '../harness/isolation';
import { seedTasks } from './dashboard-seed';

/**
 * Time to the first page of /api/v1/tasks over 1,000,000 tasks, for each query given on the command line
 * (sorts, queue filter, searches), through the real gateway and a private database seeded like the
 * dashboard bench. Four runs per query (min and median printed) and the page after it.
 *   node --import tsx tests/bench/tasks-api-probe.ts '/api/v1/tasks?limit=100&sort=runtime' ...
 */
async function main(paths: string[]): Promise<void> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => {});
  try {
    const connectionId = await insertConnection(pool, 'probe');
    console.log(`seeded 1M tasks in ${(await seedTasks(db.url, connectionId, 1_000_000)).toFixed(0)} ms`);
    const key = await insertKey(pool, 'viewer', [connectionId]);
    const gw = await startTestGateway({ databaseUrl: db.url });
    try {
      for (const path of paths) {
        const url = `${path}&connectionId=${connectionId}`;
        const times: number[] = [];
        let reply = await gw.request('GET', url, { key });
        for (let run = 0; run < 4; run += 1) {
          const started = performance.now();
          reply = await gw.request('GET', url, { key });
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        let next = 'none';
        if (reply.json.nextCursor) {
          const started = performance.now();
          await gw.request('GET', `${url}&cursor=${reply.json.nextCursor}`, { key });
          next = `${(performance.now() - started).toFixed(1)} ms`;
        }
        const [min, median] = [times[0] ?? 0, times[2] ?? 0];
        console.log(
          `${path}: ${reply.json.items.length} rows, min ${min.toFixed(1)} ms, median ${median.toFixed(1)} ms, next page ${next}`,
        );
      }
    } finally {
      await gw.close();
    }
  } finally {
    await pool.end();
    await db.drop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
