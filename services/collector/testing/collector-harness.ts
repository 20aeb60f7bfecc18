/**
 * What the collector's int tests share: a real collector as a child process (`node --import tsx
 * src/main.ts`, so the composition root is what is tested and kill -9 is a real crash), a Kafka
 * topic reader, a ground-truth tap on `celeryev`, and isolated fixtures (database, topics, vhost).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { decodeDeadLetter, decodeEvent } from '@celeriac/event-log/codec';
import type { CeleryEvent, DeadLetter } from '@celeriac/proto/events';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { TEST_CONTROL_TOKEN } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import {
  createTestBroker,
  isRedisUrl,
  redisSubscribed,
  type TestBrokerKind,
  tapRedisEvents,
} from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import amqp, { type ChannelModel } from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { type CollectorStore, createCollectorStore } from '../src/collector-store';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const SECRET_KEY = randomBytes(32).toString('base64');

export interface CollectorProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly opsPort: number;
  readonly grpcPort: number;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnCollector(
  env: Record<string, string>,
  id = `c-${randomBytes(3).toString('hex')}`,
): Promise<CollectorProcess> {
  const [opsPort, grpcPort] = await Promise.all([freePort(), freePort()]);
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      CELERIAC_SECRET_KEY: SECRET_KEY,
      CELERIAC_CONTROL_TOKEN: TEST_CONTROL_TOKEN,
      CELERIAC_COLLECTOR_ID: id,
      CELERIAC_COLLECTOR_OPS_PORT: String(opsPort),
      CELERIAC_COLLECTOR_GRPC_PORT: String(grpcPort),
      CELERIAC_LEASE_TTL_MS: '4000',
      CELERIAC_LEASE_RENEW_MS: '1000',
      CELERIAC_LOG_LEVEL: process.env.CELERIAC_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
    if (process.env.COLLECTOR_TEST_ECHO) process.stderr.write(chunk);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    `collector ${id} to be ready`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`collector exited with ${child.exitCode}: ${log.slice(-3000)}`);
      const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined);
      return response?.ok === true;
    },
    { timeoutMs: 60_000 },
  );
  return {
    id,
    child,
    opsPort,
    grpcPort,
    output: () => log,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** Reads a whole topic from the beginning, continuously, into memory (tests only; small topics). */
export async function readTopic<T>(
  topic: string,
  decode: (value: Buffer) => T,
  brokers = readStackEnv().kafkaBrokers,
) {
  const kafka = new Kafka({
    clientId: 'collector-test-reader',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `collector-test-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  });
  const records: { key: string; partition: number; offset: string; value: T }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      records.push({
        key: String(message.key),
        partition,
        offset: message.offset,
        value: decode(message.value ?? Buffer.alloc(0)),
      });
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

export const readEvents = (topic: string, brokers?: string[]) =>
  readTopic<CeleryEvent>(topic, decodeEvent, brokers);
export const readDeadLetters = (topic: string) => readTopic<DeadLetter>(topic, decodeDeadLetter);

/** A queue of our own bound to `celeryev` `#`: the ground truth of what Celery put on the wire. */
export async function tapCeleryEvents(brokerUrl: string) {
  if (isRedisUrl(brokerUrl)) {
    const elements: Record<string, unknown>[] = [];
    const tap = await tapRedisEvents(brokerUrl, elements);
    return { elements, close: tap.close };
  }
  const connection: ChannelModel = await amqp.connect(brokerUrl);
  const channel = await connection.createChannel();
  await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'celeryev', '#');
  const elements: Record<string, unknown>[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message?.properties.contentType !== 'application/json') return;
      try {
        const body = JSON.parse(message.content.toString('utf8')) as unknown;
        for (const item of Array.isArray(body) ? body : [body]) {
          if (item && typeof item === 'object' && typeof (item as { type?: unknown }).type === 'string')
            elements.push(item as Record<string, unknown>);
        }
      } catch {
        // malformed input is the dead-letter test's business, not the ground truth's
      }
    },
    { noAck: true },
  );
  return { elements, close: () => connection.close() };
}

/**
 * One isolated world: database, topics (on the shared Kafka unless `kafkaBrokers` names another), and
 * `vhostCount` brokers (RabbitMQ vhosts, or Redis databases with `broker: 'redis'`) each registered
 * as a connection.
 */
export async function createWorld(
  options: {
    vhostCount?: number;
    connectionOptions?: Record<string, unknown>;
    kafkaBrokers?: string[];
    broker?: TestBrokerKind;
  } = {},
) {
  const kafkaBrokers = options.kafkaBrokers ?? readStackEnv().kafkaBrokers;
  const [database, topics, ...vhosts] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter'], 3, kafkaBrokers),
    ...Array.from({ length: options.vhostCount ?? 1 }, () => createTestBroker(options.broker ?? 'amqp')),
  ]);
  const store: CollectorStore = createCollectorStore({
    databaseUrl: database.url,
    logger: silentLogger,
    maxClients: 2,
  });
  const box = createSecretBox(SECRET_KEY);
  const connectionIds: string[] = [];
  for (const [index, vhost] of vhosts.entries()) {
    connectionIds.push(
      await store.insertConnection({
        name: `test-${index}`,
        brokerUrlEncrypted: box.seal(vhost.url),
        options: options.connectionOptions,
      }),
    );
  }
  const eventsTopic = topics.topics.events as string;
  const deadLetterTopic = topics.topics.deadletter as string;
  return {
    database,
    store,
    vhosts,
    connectionIds,
    eventsTopic,
    deadLetterTopic,
    env: {
      CELERIAC_DATABASE_URL: database.url,
      CELERIAC_KAFKA_BROKERS: kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: eventsTopic,
      CELERIAC_DEAD_LETTER_TOPIC: deadLetterTopic,
    },
    async cleanup() {
      await store.close().catch(() => undefined);
      await Promise.allSettled([database.drop(), topics.remove(), ...vhosts.map((vhost) => vhost.remove())]);
    },
  };
}

/** Runs demo_app's traffic generator against a broker and resolves with its JSON summary. */
export function sendTraffic(brokerUrl: string, args: string[]): Promise<string> {
  const stack = readStackEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(stack.python, ['send_traffic.py', ...args], {
      cwd: stack.celeryAppDir,
      env: { ...process.env, CELERY_BROKER_URL: brokerUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`send_traffic exited ${code}: ${out.slice(-2000)}`)),
    );
  });
}

/**
 * Resolves once the collector consumes the broker's events: its durable event queue declared, bound
 * and consumed (RabbitMQ), or its subscriber subscribed in the connection's database (Redis).
 */
export async function waitForEventQueue(
  brokerUrl: string,
  connectionId: string,
  timeoutMs = 30_000,
): Promise<void> {
  if (isRedisUrl(brokerUrl)) {
    await waitFor(`collector subscribed on ${brokerUrl}`, () => redisSubscribed(brokerUrl), {
      timeoutMs,
      intervalMs: 200,
    });
    return;
  }
  const connection = await amqp.connect(brokerUrl);
  try {
    await waitFor(
      `event queue of ${connectionId}`,
      async () => {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        try {
          const reply = await channel.checkQueue(`celeriac.events.${connectionId}`);
          return reply.consumerCount > 0;
        } catch {
          return false;
        } finally {
          await channel.close().catch(() => undefined);
        }
      },
      { timeoutMs, intervalMs: 200 },
    );
  } finally {
    await connection.close();
  }
}

/** Publishes `count` well-formed task-started events the way a worker does (celeryev, task.multi lists). */
export async function publishEvents(brokerUrl: string, count: number): Promise<void> {
  const connection = await amqp.connect(brokerUrl);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
    for (let i = 0; i < count; i += 2) {
      const batch = [0, 1].map((j) => ({
        type: 'task-started',
        uuid: randomUUID(),
        hostname: 'celery@synthetic',
        timestamp: Date.now() / 1000,
        clock: i + j,
        pid: 1,
        utcoffset: 0,
      }));
      channel.publish('celeryev', 'task.multi', Buffer.from(JSON.stringify(batch)), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        headers: { hostname: 'celery@synthetic' },
      });
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}
