import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { startService } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import pg from 'pg';
import { generateApiKey } from '../src/auth/api-keys';
import { loadTasks } from './load-tasks';
import { measureLatency } from './measure';

// `node --import tsx bench/dashboard-bench.ts` (from services/gateway): the dashboard's reads over
// 1,000,000 tasks of one connection, spread over the last week (one every 0.6 s up to now), and 10
// queues sampled every 10 s over that week, on one gateway replica run as deployed. Prints, for each
// request, the first (cold) call and the p50/p95 of the next ones, in milliseconds. BENCH_KEEP_DB=1
// keeps the loaded database (for EXPLAIN); BENCH_DATABASE_URL=<it> measures it again without loading.
const TASKS = Number(process.env.BENCH_TASKS ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);

async function existing(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ connection_id: string }>(
    "SELECT connection_id FROM celeriac.connections WHERE name = 'bench'",
  );
  return rows[0]?.connection_id as string;
}

async function load(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ connection_id: string }>(
    "INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ('bench', '\\x00') RETURNING connection_id",
  );
  const connectionId = rows[0]?.connection_id as string;
  const started = performance.now();
  await loadTasks(pool, connectionId, TASKS, Date.now() / 1000 - TASKS * 0.6);
  await pool.query(
    `INSERT INTO celeriac.queues (connection_id, name, messages, consumers, sampled_at)
       SELECT $1, 'queue-' || q, 0, 1, now() FROM generate_series(1, 10) AS q`,
    [connectionId],
  );
  await pool.query(
    `INSERT INTO celeriac.queue_samples (connection_id, name, sampled_at, messages, consumers)
       SELECT $1, 'queue-' || q, now() - make_interval(secs => s * 10), (s * q) % 500, 1
       FROM generate_series(1, 10) AS q, generate_series(0, 60480) AS s`,
    [connectionId],
  );
  await pool.query('ANALYZE celeriac.queue_samples');
  console.log(
    `loaded ${TASKS} tasks and 604,810 queue samples in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );

  return connectionId;
}

async function main() {
  const stack = readStackEnv();
  const reuse = process.env.BENCH_DATABASE_URL;
  const [db, topics] = await Promise.all([
    reuse ? { url: reuse, drop: async () => {} } : createTestDatabase(),
    createTestTopics(['events'], 1),
  ]);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  let gateway: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    const connectionId = reuse ? await existing(pool) : await load(pool);
    const key = generateApiKey();
    await pool.query(
      `INSERT INTO celeriac.api_keys (name, key_prefix, key_hash, role, connection_ids) VALUES ('bench', $1, $2, 'viewer', $3::uuid[])`,
      [key.prefix, key.hash, [connectionId]],
    );
    const port = await freePort();
    gateway = await startService({
      name: 'gateway',
      env: {
        CELERIAC_DATABASE_URL: db.url,
        CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
        CELERIAC_GATEWAY_PORT: String(port),
        CELERIAC_GATEWAY_HOST: '127.0.0.1',
        CELERIAC_GATEWAY_RATE_PER_SECOND: '0',
      },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    const headers = { authorization: `Bearer ${key.key}` };
    const { rows: someTask } = await pool.query<{ uuid: string }>(
      'SELECT uuid FROM celeriac.tasks WHERE connection_id = $1 LIMIT 1',
      [connectionId],
    );
    const paths = [
      '/api/v1/tasks?limit=100',
      '/api/v1/tasks?state=FAILURE&limit=100',
      '/api/v1/tasks?taskname=tasks.t7&limit=100',
      ...['15m', '1h', '24h', '7d', '30d'].map((range) => `/api/v1/overview?range=${range}`),
      '/api/v1/queues/history?range=30d',
      '/api/v1/queues/history?range=7d',
      `/api/v1/tasks/${someTask[0]?.uuid}/workflow`,
    ];
    console.log('| request | first call ms | p50 ms | p95 ms |\n|---|---|---|---|');
    for (const path of paths) {
      const url = `http://127.0.0.1:${port}${path}`;
      const first = performance.now();
      const reply = await fetch(url, { headers });
      if (reply.status !== 200) throw new Error(`${path} answered ${reply.status}: ${await reply.text()}`);
      await reply.text();
      const cold = performance.now() - first;
      const warm = await measureLatency(url, headers, { warmup: 2, samples: SAMPLES });
      console.log(`| \`${path}\` | ${cold.toFixed(0)} | ${warm.p50.toFixed(0)} | ${warm.p95.toFixed(0)} |`);
    }
  } finally {
    await gateway?.stop();
    await pool.end();
    if (process.env.BENCH_KEEP_DB === '1' || reuse) console.log(`kept database ${db.url}`);
    else await db.drop();
    await topics.remove();
  }
}

await main();
