import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { startService } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { generateApiKey } from '../src/auth/api-keys';
import { loadTasks } from './load-tasks';
import { measureLatency } from './measure';

// `npm run bench -w @celeriac/gateway`: /api/tasks latency with filters and sort over 1,000,000 tasks
// (target p95 < 50 ms) and requests/s of /api/tasks?limit=100 on one gateway replica (a child process
// running src/main.ts, as deployed). Writes bench/REPORT.md.
const TASKS = Number(process.env.BENCH_TASKS ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const BASE = 1_760_000_000;

type AutocannonResult = {
  requests: { average: number; total: number };
  latency: { p50: number; p97_5: number; p99: number };
  non2xx: number;
  errors: number;
};
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: object,
) => Promise<AutocannonResult>;

const minute = (epoch: number) => new Date(epoch * 1000).toISOString().slice(0, 16).replace('T', ' ');
const SCENARIOS: Array<[string, string]> = [
  ['newest 100 (default sort)', '/api/tasks?limit=100'],
  ['state=FAILURE', '/api/tasks?state=FAILURE&limit=100'],
  ['taskname, sort_by=-received', '/api/tasks?taskname=tasks.t7&sort_by=-received&limit=100'],
  [
    'workername + state, sort_by=-received',
    '/api/tasks?workername=celery@w3&state=SUCCESS&sort_by=-received&limit=100',
  ],
  ['state=FAILURE, sort_by=started', '/api/tasks?state=FAILURE&sort_by=started&limit=100'],
  [
    'received range (1 h), sort_by=received',
    `/api/tasks?received_start=${encodeURIComponent(minute(BASE + 300_000))}&received_end=${encodeURIComponent(minute(BASE + 303_600))}&sort_by=received&limit=100`,
  ],
  ['sort_by=name', '/api/tasks?sort_by=name&limit=100'],
  ['state=FAILURE, offset=5000', '/api/tasks?state=FAILURE&limit=100&offset=5000'],
  [
    'search=name:t13 state:failure',
    `/api/tasks?search=${encodeURIComponent('name:t13 state:failure')}&limit=100`,
  ],
  ['/api/v1/tasks state=FAILURE (cursor page)', '/api/v1/tasks?state=FAILURE&limit=100'],
];

async function main() {
  const stack = readStackEnv();
  // Kafka only feeds the replica's live streams here; wait out a broker that is restarting.
  const topics = await waitFor(
    'Kafka to create the bench topic',
    () => createTestTopics(['events'], 1).catch(() => undefined),
    {
      timeoutMs: 180_000,
      intervalMs: 2_000,
    },
  );
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  let gateway: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    const { rows } = await pool.query<{ connection_id: string }>(
      "INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ('bench', '\\x00') RETURNING connection_id",
    );
    const connectionId = rows[0]?.connection_id as string;
    const key = generateApiKey();
    await pool.query(
      `INSERT INTO celeriac.api_keys (name, key_prefix, key_hash, role, connection_ids) VALUES ('bench', $1, $2, 'viewer', $3::uuid[])`,
      [key.prefix, key.hash, [connectionId]],
    );
    const loadStarted = performance.now();
    await loadTasks(pool, connectionId, TASKS, BASE);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    console.log(`loaded ${TASKS} tasks in ${loadSeconds.toFixed(1)} s`);

    const port = await freePort();
    gateway = await startService({
      name: 'gateway',
      env: {
        CELERIAC_DATABASE_URL: db.url,
        CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
        CELERIAC_GATEWAY_PORT: String(port),
        CELERIAC_GATEWAY_HOST: '127.0.0.1',
        // One key measures the replica's throughput: its per-key request rate must not be the limit.
        CELERIAC_GATEWAY_RATE_PER_SECOND: '0',
      },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${key.key}` };
    const latencies: string[] = [];
    let worstP95 = 0;
    for (const [label, path] of SCENARIOS) {
      const result = await measureLatency(`${base}${path}`, headers, { warmup: 20, samples: SAMPLES });
      worstP95 = Math.max(worstP95, result.p95);
      console.log(label, result);
      latencies.push(
        `| ${label} | \`${path.slice(0, 90)}\` | ${result.items} | ${result.p50.toFixed(1)} | ${result.p95.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.max.toFixed(1)} |`,
      );
    }
    // Outside the target, measured for honesty: free text matching nothing must scan every task
    // (ILIKE over seven columns, no trigram index).
    const scan = await measureLatency(`${base}/api/tasks?search=nomatchanywhere&limit=100`, headers, {
      warmup: 2,
      samples: 10,
    });
    console.log('search full scan', scan);
    const fullScan = `| free-text search matching nothing (full scan) | \`/api/tasks?search=nomatchanywhere&limit=100\` | ${scan.items} | ${scan.p50.toFixed(0)} | ${scan.p95.toFixed(0)} | — | ${scan.max.toFixed(0)} |`;
    const throughput: string[] = [];
    for (const [path, connections] of [
      ['/api/tasks?limit=100', 10],
      ['/api/tasks?state=FAILURE&limit=100', 10],
    ] as const) {
      const result = await autocannon({ url: `${base}${path}`, headers, connections, duration: DURATION_S });
      console.log(path, result.requests.average, 'req/s');
      throughput.push(
        `| \`${path}\` | ${connections} | ${DURATION_S} s | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p97_5} | ${result.latency.p99} | ${result.non2xx + result.errors} |`,
      );
    }
    writeReport({ loadSeconds, latencies, throughput, worstP95, fullScan });
  } finally {
    await gateway?.stop();
    await pool.end();
    // BENCH_KEEP_DB=1 leaves the loaded database for EXPLAIN sessions (it is named in the output).
    if (process.env.BENCH_KEEP_DB === '1') console.log(`kept database ${db.url}`);
    await Promise.allSettled([
      process.env.BENCH_KEEP_DB === '1' ? Promise.resolve() : db.drop(),
      topics.remove(),
    ]);
  }
}

function writeReport(figures: {
  loadSeconds: number;
  latencies: string[];
  throughput: string[];
  worstP95: number;
  fullScan: string;
}) {
  const cpu = cpus();
  const verdict =
    figures.worstP95 < 50 ? 'reached' : `**not reached** (worst p95 ${figures.worstP95.toFixed(1)} ms)`;
  const report = `# Gateway benchmark: /api/tasks over ${TASKS.toLocaleString('en')} tasks

Command: \`npm run bench -w @celeriac/gateway\` (env BENCH_TASKS=${TASKS}, BENCH_SAMPLES=${SAMPLES}, BENCH_DURATION_S=${DURATION_S}).
Run at ${new Date().toISOString()} on ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}.
PostgreSQL 15 and one gateway replica (\`node --import tsx services/gateway/src/main.ts\`, pg pool 10) on the same machine;
the load generator shares the cores too, and other processes (e.g. concurrent test runs) may have used the same 2 cores during the run,
so the figures are pessimistic and vary between runs.

Data: ${TASKS.toLocaleString('en')} tasks of one connection bulk-loaded with one \`INSERT ... SELECT generate_series\`
(${figures.loadSeconds.toFixed(1)} s incl. ANALYZE): 20 task names, 16 workers, ~85% SUCCESS, ~5% FAILURE, rest in flight,
received times over ~7 days. Every request is authenticated with an API key (key lookup cached 5 s).

## Latency, sequential requests (ms, end to end over HTTP; ${SAMPLES} samples after 20 warm-up)

Target: p95 < 50 ms — ${verdict}.

| scenario | request | items | p50 | p95 | p99 | max |
|---|---|---|---|---|---|---|
${figures.latencies.join('\n')}

Not part of the target (10 samples): a free-text \`search\` term that matches nothing has to read every task.

| scenario | request | items | p50 | p95 | p99 | max |
|---|---|---|---|---|---|---|
${figures.fullScan}

## Throughput of one replica (autocannon)

| request | connections | duration | req/s (avg) | p50 ms | p97.5 ms | p99 ms | errors/non-2xx |
|---|---|---|---|---|---|---|---|
${figures.throughput.join('\n')}

## What makes it fast (and what it costs)

- Every filter+sort above is one index range: the 0002 indexes (received, timestamp, started, state,
  name, worker) plus \`tasks_by_state_timestamp\` (0050) and \`tasks_by_state_started\` (0051). Name and
  state sorts tie-break along those indexes (received, then uuid) so no sort step runs over the history.
  The two new indexes cost the projector one more index entry each per task row update.
- PostgreSQL builds each Flower task object as JSON text (\`json_build_object\`, Celery's key order) for
  the page only; the replica concatenates. Profiling the replica showed row parsing plus
  \`JSON.stringify\` as a third of its CPU; an A/B over the same 100-task query measured a third of the
  Node CPU and 20% less wall time. Listing queries are named prepared statements (planning cost more
  than execution on 1M rows).
- For scale: the project's budget anchor (docs/architecture.md#budgets-and-benchmarks) is Flower 2.0.1 answering \`/api/tasks?state=FAILURE&limit=100\` in 257 ms
  over 100,000 in-memory tasks; here the same request over 1,000,000 stored tasks is in the table above.
- Earlier runs of this benchmark (before the indexes and the JSON change, same machine) measured p95 of
  1,203 ms for \`sort_by=name\`, 581 ms for a received range, 155 ms for \`state=FAILURE&sort_by=started\`,
  and 277-440 req/s.
`;
  writeFileSync(new URL('./REPORT.md', import.meta.url), report);
  console.log(report);
}

await main();
