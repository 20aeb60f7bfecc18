/**
 * Collector benchmark on Redis: the event mix of collector-bench.ts, published live on the Redis
 * event channels (pub/sub keeps no backlog to drain) as fast as one pipelined client can, while a
 * real collector (pinned to one core like the AMQP bench) subscribes and produces to Kafka.
 *
 *   node --import tsx bench/redis-bench.ts     (BENCH_REDIS_EVENTS=300000 by default)
 *
 * Reports events/s into Kafka, events per CPU-second of the collector and what it had to drop.
 * Writes bench/REDIS-REPORT.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { createTestBroker, redisDbOf, redisSubscribed } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createCollectorStore } from '../src/collector-store';
import { SECRET_KEY } from '../testing/collector-harness';
import { backlogMessages } from './event-mix';

const TARGET_EVENTS = Number(process.env.BENCH_REDIS_EVENTS ?? 300_000);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPORT = fileURLToPath(new URL('./REDIS-REPORT.md', import.meta.url));
const stack = readStackEnv();

const [database, topics, broker] = await Promise.all([
  createTestDatabase(),
  createTestTopics(['events', 'deadletter'], 1),
  createTestBroker('redis'),
]);
const store = createCollectorStore({ databaseUrl: database.url, logger: silentLogger });
const kafka = new Kafka({ clientId: 'redis-bench', brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
let child: ReturnType<typeof spawn> | undefined;
try {
  await store.insertConnection({
    name: 'bench-redis',
    brokerUrlEncrypted: createSecretBox(SECRET_KEY).seal(broker.url),
    options: { inspectIntervalMs: 0, queueSampleIntervalMs: 0, enableEvents: false },
  });
  const pin = existsSync('/usr/bin/taskset') ? ['taskset', '-c', '1'] : [];
  const command = [...pin, process.execPath, '--max-old-space-size=160', '--import', 'tsx', MAIN];
  const opsPort = 19_000 + Math.floor(Math.random() * 1000);
  child = spawn(command[0] as string, command.slice(1), {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    env: {
      ...process.env,
      CELERIAC_DATABASE_URL: database.url,
      CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.topics.events,
      CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter,
      CELERIAC_SECRET_KEY: SECRET_KEY,
      CELERIAC_CONTROL_AUTH_DISABLED: 'true',
      CELERIAC_COLLECTOR_ID: 'bench-redis',
      CELERIAC_COLLECTOR_GRPC_PORT: '0',
      CELERIAC_COLLECTOR_OPS_PORT: String(opsPort),
      CELERIAC_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor('the collector subscribed', () => redisSubscribed(broker.url), { timeoutMs: 60_000 });
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const cpuSeconds = () => {
    const fields = (readFileSync(`/proc/${child?.pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticks;
  };
  await admin.connect();
  const produced = async () =>
    (await admin.fetchTopicOffsets(topics.topics.events as string)).reduce(
      (sum, p) => sum + Number(p.high),
      0,
    );

  // Publish: kombu envelopes on /<db>.celeryev/<routing key>, pipelined 500 at a time.
  const publisher = new Redis(broker.url);
  const prefix = `/${redisDbOf(broker.url)}.celeryev/`;
  const cpuBefore = cpuSeconds();
  const startedAt = Date.now();
  let events = 0;
  let messages = 0;
  let pipeline = publisher.pipeline();
  for (const message of backlogMessages(TARGET_EVENTS)) {
    const envelope = JSON.stringify({
      body: message.body.toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { hostname: message.hostname },
      properties: {
        body_encoding: 'base64',
        delivery_info: { exchange: 'celeryev', routing_key: message.routingKey },
        delivery_mode: 1,
        priority: 0,
      },
    });
    pipeline.publish(`${prefix}${message.routingKey}`, envelope);
    events += message.events;
    messages += 1;
    if (messages % 500 === 0) {
      await pipeline.exec();
      pipeline = publisher.pipeline();
    }
  }
  await pipeline.exec();
  const publishSeconds = (Date.now() - startedAt) / 1000;
  publisher.disconnect();

  // Done when Kafka has every event not counted as dropped, and the count stopped moving.
  const dropped = async () => {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find((row) => row.startsWith('celeriac_collector_redis_dropped_messages_total{'));
    return Number(line?.split(' ').pop() ?? 0);
  };
  let last = -1;
  let count = 0;
  for (;;) {
    count = await produced();
    if (count === last && count > 0) break;
    last = count;
    await delay(1000);
  }
  const doneAt = Date.now() - 1000;
  const collectorCpu = cpuSeconds() - cpuBefore;
  const seconds = (doneAt - startedAt) / 1000;
  const droppedMessages = await dropped();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const report = `# Collector benchmark on Redis

Command: \`node --import tsx bench/redis-bench.ts\` in services/collector (part of \`npm run bench -w @celeriac/collector\`), BENCH_REDIS_EVENTS=${TARGET_EVENTS}.
Redis ${execFileSync('redis-server', ['--version']).toString().split(' ')[2]?.replace('v=', '')} on the same machine; collector pinned to one core (${pin.length ? '`taskset -c 1`' : 'no taskset'}); load average at the end: ${load}.

Workload: the AMQP benchmark's event mix, ${events.toLocaleString('en')} events in ${messages.toLocaleString('en')} kombu envelopes, PUBLISHed live
(pipelined, 500 per round trip) on \`/<db>.celeryev/<routing key>\` while the collector is subscribed; publishing took ${publishSeconds.toFixed(1)} s.

| figure | measured |
|---|---|
| events in Kafka | ${count.toLocaleString('en')} of ${events.toLocaleString('en')} |
| messages dropped (buffer full, counted in /metrics) | ${droppedMessages.toLocaleString('en')} |
| throughput Redis→Kafka (first publish to last event in Kafka) | ${Math.round(count / seconds).toLocaleString('en')} events/s |
| events per CPU-second of the collector | ${Math.round(count / collectorCpu).toLocaleString('en')} events/s |

The collector used ${collectorCpu.toFixed(1)} CPU-seconds in ${seconds.toFixed(1)} s. Publishing faster than the collector produces
fills its 8 MiB buffer; what it then drops is counted, never lost silently.
`;
  writeFileSync(REPORT, report);
  console.log(report);
} finally {
  child?.kill('SIGTERM');
  await admin.disconnect().catch(() => undefined);
  await store.close().catch(() => undefined);
  await Promise.allSettled([database.drop(), topics.remove(), broker.remove()]);
}
