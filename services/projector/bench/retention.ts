import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createProjectorMetrics } from '../src/metrics';
import { createPartitionManager } from '../src/partitions';
import { createRetention } from '../src/retention';
import { DELETE_OLD_TASKS } from '../src/retention-store';

const DAY_S = 86_400;
const NAMES = [
  'tasks.add',
  'tasks.echo',
  'tasks.resize_image',
  'tasks.send_email',
  'tasks.error',
  'tasks.report',
];

/** `tasks` finished tasks of one connection, evenly spread over the last `days` days, as COPY text. */
function* taskRows(connectionId: string, tasks: number, days: number, nowS: number): Generator<string> {
  let chunk = '';
  for (let i = 0; i < tasks; i += 1) {
    const t = nowS - days * DAY_S + (i * days * DAY_S) / tasks;
    const name = NAMES[i % NAMES.length];
    chunk += `${connectionId}\tbench-${i}\t${name}\tSUCCESS\t${t - 1}\t${t - 0.5}\t${t}\t${t}\t0.5\tcelery@worker-${i % 8}\t(${i}, 2)\t${i}\t${t}\t${new Date(t * 1000).toISOString()}\n`;
    if (chunk.length > 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Runs `query` back to back until stopped; returns the worst and the 99th percentile latency. */
function latencyLoop(query: (i: number) => Promise<unknown>) {
  const times: number[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i += 1) {
      const started = performance.now();
      await query(i);
      times.push(performance.now() - started);
    }
  })();
  return async () => {
    running = false;
    await done;
    times.sort((a, b) => a - b);
    return {
      queries: times.length,
      maxMs: times.at(-1) ?? 0,
      p99Ms: times[Math.floor(times.length * 0.99)] ?? 0,
    };
  };
}

/**
 * The retention pass over `tasks` task rows of one connection spread over 60 days (so about half
 * are past the default 30 days), bulk-loaded with COPY. While the pass runs, a reader (the gateway's
 * newest-first listing and look-ups by id) and a writer (projector-like upserts, some on rows being
 * deleted) run back to back; their worst latency shows whether anything waited longer than a batch.
 */
export async function benchRetention(options: { tasks: number; batchRows: number }) {
  const database = await createTestDatabase();
  const admin = new pg.Client({ connectionString: database.url });
  const reader = new pg.Client({ connectionString: database.url });
  const writer = new pg.Client({ connectionString: database.url });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  await Promise.all([admin.connect(), reader.connect(), writer.connect()]);
  const connection = randomUUID();
  const nowS = Math.floor(Date.now() / 1000);
  try {
    const loadStarted = performance.now();
    const copy = admin.query(
      copyFrom(
        'COPY celeriac.tasks (connection_id, uuid, name, state, received, started, succeeded, "timestamp", runtime, worker, args, result, last_ts, last_event_at) FROM STDIN',
      ),
    );
    await pipeline(Readable.from(taskRows(connection, options.tasks, 60, nowS)), copy);
    await admin.query('VACUUM ANALYZE celeriac.tasks');
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const cutoffS = nowS - 30 * DAY_S;
    const plan = await admin.query(`EXPLAIN ${DELETE_OLD_TASKS}`, [
      connection,
      cutoffS,
      cutoffS,
      options.batchRows,
    ]);
    const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    const indexes = [...planText.matchAll(/Index Scan using (\w+)/g)].map((m) => m[1]);
    const indexUsed = /Seq Scan/.test(planText)
      ? `a sequential scan (${indexes.join(', ')})`
      : `${indexes.join(' then ')}`;

    const read = (i: number) =>
      i % 2 === 0
        ? reader.query(
            'SELECT uuid, state, "timestamp" FROM celeriac.tasks WHERE connection_id = $1 ORDER BY "timestamp" DESC NULLS LAST LIMIT 20',
            [connection],
          )
        : reader.query('SELECT * FROM celeriac.tasks WHERE connection_id = $1 AND uuid = $2', [
            connection,
            `bench-${(i * 7919) % options.tasks}`,
          ]);
    const write = (i: number) =>
      writer.query(
        `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, "timestamp", last_ts) VALUES ($1, $2, 'tasks.add', 'STARTED', $3, $3)
         ON CONFLICT (connection_id, uuid) DO UPDATE SET retries = coalesce(celeriac.tasks.retries, 0) + 1`,
        // Every other write hits an existing row, old or young, as late events do.
        [connection, i % 2 === 0 ? `live-${i}` : `bench-${(i * 104_729) % options.tasks}`, nowS],
      );
    const [stopReadIdle, stopWriteIdle] = [latencyLoop(read), latencyLoop(write)];
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const [readIdle, writeIdle] = await Promise.all([stopReadIdle(), stopWriteIdle()]);

    const partitions = createPartitionManager({
      pool,
      logger: silentLogger,
      retentionDays: 30,
      daysAhead: 1,
    });
    const retention = createRetention({
      pool,
      partitions,
      metrics: createProjectorMetrics(),
      logger: silentLogger,
      now: () => nowS * 1000,
      defaultDays: 30,
      batchRows: options.batchRows,
      intervalMs: 600_000,
    });
    const loadBefore = loadavg()[0] ?? 0;
    const [stopReadBusy, stopWriteBusy] = [latencyLoop(read), latencyLoop(write)];
    const started = performance.now();
    const report = await retention.runOnce();
    const seconds = (performance.now() - started) / 1000;
    const [readBusy, writeBusy] = await Promise.all([stopReadBusy(), stopWriteBusy()]);
    const loadAfter = loadavg()[0] ?? 0;
    const left = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM celeriac.tasks WHERE connection_id = $1 AND "timestamp" < $2',
      [connection, cutoffS],
    );
    if (!report) throw new Error('retention lock was held by someone else');
    return {
      tasks: options.tasks,
      batchRows: options.batchRows,
      loadSeconds,
      indexUsed,
      deleted: report.deleted.tasks,
      oldLeft: left.rows[0]?.n ?? -1,
      batches: report.batches,
      seconds,
      rowsPerSecond: report.deleted.tasks / seconds,
      longestBatchMs: report.longestBatchMs,
      readIdle,
      writeIdle,
      readBusy,
      writeBusy,
      loadBefore,
      loadAfter,
    };
  } finally {
    await Promise.all([admin.end(), reader.end(), writer.end(), pool.end()]);
    await database.drop();
  }
}

export type RetentionBench = Awaited<ReturnType<typeof benchRetention>>;
