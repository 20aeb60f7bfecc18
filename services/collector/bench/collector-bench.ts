/**
 * Collector benchmark: RabbitMQ -> Kafka throughput and RSS while draining a backlog.
 *
 *   npm run bench -w @celeriac/collector            (BENCH_EVENTS=1000000 by default)
 *
 * Publishes a backlog of realistic Celery events (task lifecycles with task.multi batches of 1-3
 * events as prefork workers send them, client task-sent events, worker heartbeats) into the
 * collector's durable queue, then starts a real collector (child process, pinned to one core with
 * taskset when available), samples its RSS every 200 ms while it drains, and times the drain by the
 * Kafka end offsets. Writes bench/REPORT.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase, createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { createCollectorStore } from '../src/collector-store';
import { SECRET_KEY } from '../testing/collector-harness';
import { backlogMessages } from './event-mix';

// kafkajs can reject from inside its socket handling when the shared Kafka restarts; keep measuring.
process.on('unhandledRejection', (reason) =>
  console.warn(`ignored: ${(reason as Error)?.message ?? reason}`),
);

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPORT = fileURLToPath(new URL('./REPORT.md', import.meta.url));
const stack = readStackEnv();

const [database, topics, vhost] = await Promise.all([
  createTestDatabase(),
  createTestTopics(['events', 'deadletter'], 1),
  createTestVhost(),
]);
const store = createCollectorStore({ databaseUrl: database.url, logger: silentLogger });
const kafka = new Kafka({
  clientId: 'collector-bench',
  brokers: stack.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
let child: ReturnType<typeof spawn> | undefined;
try {
  const connectionId = await store.insertConnection({
    name: 'bench',
    brokerUrlEncrypted: createSecretBox(SECRET_KEY).seal(vhost.url),
    options: { inspectIntervalMs: 0, queueSampleIntervalMs: 0, enableEvents: false },
  });

  // 1. The backlog, in the queue the collector will consume (declared exactly as the collector does).
  const queue = `celeriac.events.${connectionId}`;
  const connection = await amqp.connect(vhost.url);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  await channel.assertQueue(queue, {
    durable: true,
    arguments: { 'x-max-length': 2_000_000, 'x-overflow': 'drop-head' },
  });
  await channel.bindQueue(queue, 'celeryev', '#');
  const publishStarted = Date.now();
  let events = 0;
  let messages = 0;
  let bytes = 0;
  for (const message of backlogMessages(TARGET_EVENTS)) {
    const ok = channel.publish('celeryev', message.routingKey, message.body, {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      priority: 0,
      headers: { hostname: message.hostname },
    });
    events += message.events;
    messages += 1;
    bytes += message.body.length;
    if (!ok || messages % 5000 === 0) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();
  await connection.close();
  const publishSeconds = (Date.now() - publishStarted) / 1000;
  console.log(
    `backlog: ${events} events in ${messages} messages (${(bytes / 1e6).toFixed(1)} MB) published in ${publishSeconds.toFixed(1)} s`,
  );

  // 2. A real collector drains it; RSS sampled from /proc, progress from Kafka end offsets.
  const pin = existsSync('/usr/bin/taskset') ? ['taskset', '-c', '1'] : [];
  // The flags of `npm start` (package.json), unless BENCH_NODE_OPTIONS replaces them (e.g. --cpu-prof).
  const nodeFlags = (process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=160').split(' ').filter(Boolean);
  const command = [...pin, process.execPath, ...nodeFlags, '--import', 'tsx', MAIN];
  child = spawn(command[0]!, command.slice(1), {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    env: {
      ...process.env,
      CELERIAC_DATABASE_URL: database.url,
      CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.topics.events,
      CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter,
      CELERIAC_SECRET_KEY: SECRET_KEY,
      // The bench makes no Control call; the collector refuses to start without a token or this.
      CELERIAC_CONTROL_AUTH_DISABLED: 'true',
      CELERIAC_COLLECTOR_ID: 'bench',
      CELERIAC_COLLECTOR_GRPC_PORT: '0',
      CELERIAC_COLLECTOR_OPS_PORT: '0',
      CELERIAC_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const startedAt = Date.now();
  await admin.connect();
  // Tolerates a Kafka restart during the run (the shared local stack): the last count stands until
  // the admin client answers again.
  let lastProduced = 0;
  const produced = async () => {
    try {
      lastProduced = (await admin.fetchTopicOffsets(topics.topics.events as string)).reduce(
        (sum, p) => sum + Number(p.high),
        0,
      );
    } catch (error) {
      console.warn(`kafka offsets unavailable (${(error as Error).message}); retrying`);
    }
    return lastProduced;
  };
  (await admin.fetchTopicOffsets(topics.topics.events as string)).reduce((sum, p) => sum + Number(p.high), 0);
  const rss = () => {
    const status = readFileSync(`/proc/${child?.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  };
  // CPU seconds the collector used (utime+stime, all its threads), to tell its own cost from waiting
  // for a machine that other work shares.
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const cpuSeconds = () => {
    const fields = readFileSync(`/proc/${child?.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticks;
  };
  let cpuAtFirstEvent = 0;
  const samples: { t: number; rssMb: number; produced: number }[] = [];
  let firstEventAt: number | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}`);
    const count = await produced();
    const sample = { t: (Date.now() - startedAt) / 1000, rssMb: rss(), produced: count };
    samples.push(sample);
    if (count > 0 && firstEventAt === undefined) {
      firstEventAt = Date.now();
      cpuAtFirstEvent = cpuSeconds();
    }
    if (samples.length % 25 === 0)
      console.log(`t=${sample.t.toFixed(1)}s produced=${count} rss=${sample.rssMb.toFixed(0)}MB`);
    if (count >= events) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const drainedAt = Date.now();
  const drainCpuSeconds = cpuSeconds() - cpuAtFirstEvent;
  const perCpuSecond = events / drainCpuSeconds;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const drainSeconds = (drainedAt - (firstEventAt ?? startedAt)) / 1000;
  const throughput = events / drainSeconds;
  const maxRss = Math.max(...samples.map((s) => s.rssMb));
  // Steady-state rate: the middle 80% of the drain, excluding connect/warm-up and the tail.
  const lo = samples.find((s) => s.produced >= events * 0.1)!;
  const hi = samples.find((s) => s.produced >= events * 0.9)!;
  const steady = (hi.produced - lo.produced) / (hi.t - lo.t);

  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGb: (totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    kafka: '3.9.1 (KRaft, single node, same machine)',
    rabbitmq: execFileSync('rabbitmqctl', ['-q', 'version']).toString().trim(),
  };
  const report = `# Collector benchmark

Command: \`npm run bench -w @celeriac/collector\` (BENCH_EVENTS=${TARGET_EVENTS})

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB RAM, Node ${machine.node}, RabbitMQ ${machine.rabbitmq},
Kafka ${machine.kafka}, PostgreSQL on the same machine. The collector process was pinned to one core
(${pin.length ? '`taskset -c 1`' : 'no taskset available'}); RabbitMQ, Kafka and the benchmark driver shared the 2 cores with it,
and other processes (e.g. concurrent test runs) may have used the same cores during the run.

Workload: ${events.toLocaleString('en')} Celery events in ${messages.toLocaleString('en')} AMQP messages (${(bytes / 1e6).toFixed(1)} MB of JSON),
published to the collector's durable queue before the collector starts: per task a client \`task-sent\`
and worker \`task-received\`/\`task-started\`/\`task-succeeded\` (or \`task-failed\`) events in \`task.multi\`
lists of 1-3 events, as prefork workers batch them, plus a \`worker-heartbeat\` every 500 events.
Collector defaults: prefetch 10000, at most 8 MiB of broker bytes unacked, batches of at most 2000 events / 800 KiB, idempotent producer with acks=all, \`npm start\` node flags.

| figure | measured | target | reached |
|---|---|---|---|
| throughput RabbitMQ→Kafka, whole drain (first event to last ack) | ${Math.round(throughput).toLocaleString('en')} events/s | ≥ 20,000 events/s | ${throughput >= 20_000 ? 'yes' : 'no'} |
| throughput, steady state (10%→90% of the drain) | ${Math.round(steady).toLocaleString('en')} events/s | ≥ 20,000 events/s | ${steady >= 20_000 ? 'yes' : 'no'} |
| events per CPU-second of the collector process (its CPU time during the drain) | ${Math.round(perCpuSecond).toLocaleString('en')} events/s | ≥ 20,000 events/s | ${perCpuSecond >= 20_000 ? 'yes' : 'no'} |
| peak RSS while draining a ${events.toLocaleString('en')}-event backlog | ${maxRss.toFixed(0)} MB | < 200 MB | ${maxRss < 200 ? 'yes' : 'no'} |

Drain time ${drainSeconds.toFixed(1)} s, in which the collector used ${drainCpuSeconds.toFixed(1)} CPU-seconds; load average at the end: ${load}${nodeFlags.length ? `; node flags: ${nodeFlags.join(' ')}` : ''}.
The wall-clock figures depend on what else ran on the 2 cores; the CPU-second figure is the collector's own cost.
The backlog publish took ${publishSeconds.toFixed(1)} s (not part of the figures).
RSS samples (every 200 ms) stayed between ${Math.min(...samples.map((s) => s.rssMb)).toFixed(0)} and ${maxRss.toFixed(0)} MB: memory is bounded by the
prefetch window and the batch caps, not by the backlog size.
`;
  writeFileSync(REPORT, report);
  console.log(report);
} finally {
  child?.kill('SIGTERM');
  await admin.disconnect().catch(() => undefined);
  await store.close().catch(() => undefined);
  await Promise.allSettled([database.drop(), topics.remove(), vhost.remove()]);
}
