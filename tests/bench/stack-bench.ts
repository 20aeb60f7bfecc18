/**
 * The whole stack on one machine, against Flower fed the same events in the same run (the project's
 * budgets, docs/architecture.md#budgets-and-benchmarks):
 *
 *   node --import tsx tests/bench/stack-bench.ts      (part of `npm run bench`)
 *
 * A collector, a projector and a gateway run as deployed, and Flower 2.0.1 (from the test venv)
 * watches the same RabbitMQ vhost. A publisher puts realistic Celery event traffic (task lifecycles
 * in task.multi lists of 1-3 events, client task-sent, worker heartbeats) on `celeryev` at a fixed
 * rate per phase. Every 250 ms it reads how far each side got: Celeriac by the projector's committed
 * offsets in PostgreSQL (an event counts once it is in the read models), Flower by its
 * flower_events_total counter (task events it has folded into its state). Lag is the age, at that
 * moment, of the newest event that side has applied. Meanwhile one client per side asks
 * /api/tasks?state=FAILURE&limit=100, one request at a time. Writes tests/bench/STACK-REPORT.md.
 */

import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { backlogMessages } from '@celeriac/collector/bench/event-mix';
import amqp from 'amqplib';
import pg from 'pg';
import { adminCli, stackServiceEnv } from '../harness/admin-cli';
import { startCollector, startGateway, startProjector } from '../harness/celeriac-services';
import { createTestDatabase, createTestTopics, createTestVhost } from '../harness/isolation';
import type { ServiceProcess } from '../harness/service-process';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { flowerApplied, startFlower } from './flower';
import { percentile, querier, rssMb, sleep, Timeline } from './stack-measures';

const REPORT = fileURLToPath(new URL('./STACK-REPORT.md', import.meta.url));
const PHASES = (process.env.BENCH_STACK_PHASES ?? '4000:20,8000:20,16000:20,32000:10')
  .split(',')
  .map((phase) => phase.split(':').map(Number) as [rate: number, seconds: number]);
/** How long a phase's backlog may take to drain before the next phase starts anyway. */
const DRAIN_LIMIT_MS = 90_000;
/** A side that applied nothing new for this long has lost what it still misses. */
const STALL_MS = 10_000;

/** How a side finished a phase: caught up after `ms`, or stopped with `missing` events not applied. */
interface Drain {
  ms: number | undefined;
  missing: number;
}
const GROUP = 'stack-bench';
const QUERY = '/api/tasks?state=FAILURE&limit=100';

const stack = readStackEnv();
const [database, topics, vhost] = await Promise.all([
  createTestDatabase(),
  createTestTopics(['events', 'deadletter'], 6),
  createTestVhost(),
]);
const env = {
  ...stackServiceEnv({ databaseUrl: database.url, topics: topics.topics, kafkaBrokers: stack.kafkaBrokers }),
  CELERIAC_LOG_LEVEL: 'warn',
};
const services: ServiceProcess[] = [];
let flower: ChildProcess | undefined;
const db = new pg.Pool({ connectionString: database.url, max: 2 });
try {
  const admin = adminCli(env);
  const connectionId = await admin.addConnection('bench', vhost.url);
  // Snapshots off: every record in the topic is then one published Celery event.
  await db.query(
    `UPDATE celeriac.connections SET options = options || '{"inspectIntervalMs":0,"queueSampleIntervalMs":0}'::jsonb WHERE connection_id = $1`,
    [connectionId],
  );
  const key = await admin.createKey('bench', 'viewer', [connectionId]);

  const [collector, projector, gateway] = await Promise.all([
    startCollector(env),
    startProjector(env, GROUP),
    startGateway(env),
  ]);
  services.push(collector, projector, gateway);
  const flowerProcess = await startFlower(vhost.url);
  flower = flowerProcess.process;
  // Both consumers bound before the first event: the collector's durable queue and Flower's own.
  await waitFor('the collector and Flower to consume celeryev', async () => {
    const response = await fetch(`${flowerProcess.url}/api/workers?refresh=false`).catch(() => undefined);
    const queue = await db.query('SELECT 1 FROM celeriac.connection_leases WHERE connection_id = $1', [
      connectionId,
    ]);
    return response?.ok === true && (queue.rowCount ?? 0) > 0;
  });
  await sleep(2000);

  const applied = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          'SELECT coalesce(sum(next_offset), 0) AS n FROM celeriac.projector_offsets WHERE consumer_group = $1 AND topic = $2',
          [GROUP, env.CELERIAC_EVENTS_TOPIC],
        )
      ).rows[0]?.n ?? 0,
    );

  const connection = await amqp.connect(vhost.url);
  const channel = await connection.createChannel();
  const traffic = backlogMessages(Number.MAX_SAFE_INTEGER);
  const timeline = new Timeline();
  let published = 0;
  let publishedTask = 0;
  timeline.record(Date.now(), 0, 0);

  interface Sample {
    at: number;
    celeriacApplied: number;
    flowerApplied: number;
    celeriacLagMs: number;
    flowerLagMs: number;
  }
  const samples: Sample[] = [];
  let lastFlower = 0;
  let sampling = true;
  const lagOf = (series: 'all' | 'task', count: number, total: number, at: number) =>
    count >= total ? 0 : at - (timeline.publishedAt(series, count + 1) ?? at);
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      const [celeriac, flowerCount] = await Promise.all([applied(), flowerApplied(flowerProcess.url)]);
      lastFlower = flowerCount ?? lastFlower;
      samples.push({
        at,
        celeriacApplied: celeriac,
        flowerApplied: lastFlower,
        celeriacLagMs: lagOf('all', celeriac, published, at),
        flowerLagMs: lagOf('task', lastFlower, publishedTask, at),
      });
      await sleep(250);
    }
  })();
  const auth = { authorization: `Bearer ${key}` };
  const queries = {
    celeriac: querier(gateway.url, QUERY, auth),
    flower: querier(flowerProcess.url, QUERY, {}),
  };

  interface PhaseResult {
    rate: number;
    seconds: number;
    achieved: number;
    events: number;
    start: number;
    end: number;
    celeriacDrain: Drain;
    flowerDrain: Drain;
  }
  const results: PhaseResult[] = [];
  for (const [rate, seconds] of PHASES) {
    const start = Date.now();
    const before = published;
    // Paced in 5 ms steps; a full socket buffer (RabbitMQ flow control) makes the publisher wait.
    while (Date.now() - start < seconds * 1000) {
      const due = before + Math.floor((rate * (Date.now() - start)) / 1000);
      while (published < due) {
        const message = traffic.next().value as {
          routingKey: string;
          hostname: string;
          body: Buffer;
          events: number;
        };
        const ok = channel.publish('celeryev', message.routingKey, message.body, {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          deliveryMode: 1,
          headers: { hostname: message.hostname },
        });
        published += message.events;
        if (message.routingKey !== 'worker.heartbeat') publishedTask += message.events;
        if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
      }
      timeline.record(Date.now(), published, publishedTask);
      await sleep(5);
    }
    const end = Date.now();
    timeline.record(end, published, publishedTask);
    // Caught up: every event of the run so far applied. Stalled: no progress for STALL_MS (events
    // lost, e.g. expired from Flower's queue) or still behind after DRAIN_LIMIT_MS.
    const caughtUp = async (side: 'celeriac' | 'flower'): Promise<Drain> => {
      const target = side === 'celeriac' ? published : publishedTask;
      const count = () => {
        const last = samples.at(-1);
        return last === undefined ? 0 : side === 'celeriac' ? last.celeriacApplied : last.flowerApplied;
      };
      let seen = count();
      let movedAt = Date.now();
      while (count() < target) {
        if (count() !== seen) {
          seen = count();
          movedAt = Date.now();
        }
        if (Date.now() - movedAt > STALL_MS || Date.now() - end > DRAIN_LIMIT_MS)
          return { ms: undefined, missing: target - count() };
        await sleep(100);
      }
      return { ms: Date.now() - end, missing: 0 };
    };
    const [celeriacDrain, flowerDrain] = await Promise.all([caughtUp('celeriac'), caughtUp('flower')]);
    results.push({
      rate,
      seconds,
      achieved: ((published - before) * 1000) / (end - start),
      events: published - before,
      start,
      end,
      celeriacDrain,
      flowerDrain,
    });
    console.log(JSON.stringify(results.at(-1)));
  }
  sampling = false;
  await sampler;
  await Promise.all([queries.celeriac.stop(), queries.flower.stop()]);
  const finalCeleriac = await applied();
  const finalFlower = (await flowerApplied(flowerProcess.url)) ?? lastFlower;
  await connection.close();

  const rss = {
    collector: rssMb(collector.process.pid),
    projector: rssMb(projector.process.pid),
    gateway: rssMb(gateway.process.pid),
    flower: rssMb(flower.pid),
  };
  const fmt = (value: number | undefined, digits = 0) =>
    value === undefined || Number.isNaN(value)
      ? 'n/a'
      : value.toLocaleString('en-US', { maximumFractionDigits: digits });
  const drained = (drain: Drain) =>
    drain.ms === undefined
      ? `not: ${fmt(drain.missing)} events missing`
      : `${(drain.ms / 1000).toFixed(1)} s`;
  const rows = results.map((phase) => {
    const during = samples.filter((s) => s.at >= phase.start && s.at <= phase.end);
    const maxLag = (key: 'celeriacLagMs' | 'flowerLagMs') => Math.max(0, ...during.map((s) => s[key]));
    const p95 = (side: 'celeriac' | 'flower') =>
      percentile(
        queries[side].latencies.filter((l) => l.at >= phase.start && l.at <= phase.end).map((l) => l.ms),
        95,
      );
    return `| ${fmt(phase.rate)} × ${phase.seconds} s | ${fmt(phase.achieved)} | ${(maxLag('celeriacLagMs') / 1000).toFixed(1)} s | ${drained(phase.celeriacDrain)} | ${fmt(p95('celeriac'), 1)} ms | ${(maxLag('flowerLagMs') / 1000).toFixed(1)} s | ${drained(phase.flowerDrain)} | ${fmt(p95('flower'), 1)} ms |`;
  });
  const report = `# Whole stack against Flower, same events, same run

Command: \`node --import tsx tests/bench/stack-bench.ts\` (part of \`npm run bench\`), run on ${new Date().toISOString()}.
Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}.
Everything on this one machine at once: RabbitMQ, Kafka (KRaft, one node), PostgreSQL, the publisher (this
process), collector, projector (one replica, 6 partitions), gateway, and Flower 2.0.1 (\`--max_tasks=100000\`).
Load average at the end: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}.

The publisher puts realistic Celery event traffic on \`celeryev\` (per task: client task-sent, then the worker's
task-received/started/succeeded or failed in task.multi lists of 1-3 events; a heartbeat per 125 tasks) at the
offered rate of each phase. Celeriac has applied an event when the projector committed it to PostgreSQL (read
models and history); Flower when its flower_events_total counter counted it (task events; Flower keeps no
history). Lag is the age of the oldest event not yet applied, sampled every 250 ms; "caught up" is the time
after the phase's last publish until every event so far was applied; the next phase starts then, or once a side
applied nothing new for ${STALL_MS / 1000} s (what it misses then is lost: Flower's queue expires events older than 5 s) or
after ${DRAIN_LIMIT_MS / 1000} s. API p95: one client per side asking \`${QUERY}\` back to back (100 ms apart) during
the phase, Celeriac through the gateway with an API key.

| offered events/s | published events/s | Celeriac max lag | Celeriac caught up after | Celeriac API p95 | Flower max lag | Flower caught up after | Flower API p95 |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Totals: ${fmt(published)} events published (${fmt(publishedTask)} task events).
Celeriac applied ${fmt(finalCeleriac)} of ${fmt(published)} (${fmt(published - finalCeleriac)} missing); Flower counted ${fmt(finalFlower)} of ${fmt(publishedTask)} task events (${fmt(publishedTask - finalFlower)} missing).
API requests that failed or took over 5 s: Celeriac ${queries.celeriac.failures()}, Flower ${queries.flower.failures()}.
RSS at the end: collector ${fmt(rss.collector)} MB, projector ${fmt(rss.projector)} MB, gateway ${fmt(rss.gateway)} MB; Flower ${fmt(rss.flower)} MB.

The project's budgets for this machine (docs/architecture.md#budgets-and-benchmarks): sustained ingest
of at least 16,000 events/s with projector lag under 2 s, no event lost in 32,000 events/s bursts,
API p95 under 50 ms while ingesting.
`;
  writeFileSync(REPORT, report);
  console.log(report);
} finally {
  flower?.kill('SIGTERM');
  await Promise.allSettled(services.map((service) => service.stop()));
  await db.end();
  await Promise.allSettled([database.drop(), topics.remove(), vhost.remove()]);
}
