/**
 * The brokers the collector's int tests run against, one fixture per kind, so a test written once
 * proves both adapters: an isolated RabbitMQ vhost, or an isolated Redis database (pub/sub channels
 * are server-wide, but kombu's `/<db>.` channel prefix keeps databases apart, as in production).
 */

import { Redis } from 'ioredis';
import { createTestVhost } from './isolation';
import { readStackEnv } from './stack-env';

export type TestBrokerKind = 'amqp' | 'redis';
export const TEST_BROKER_KINDS: TestBrokerKind[] = ['amqp', 'redis'];

export interface TestBroker {
  kind: TestBrokerKind;
  url: string;
  /** The RabbitMQ vhost (empty for Redis), for tests that act on it with rabbitmqctl. */
  vhost: string;
  remove(): Promise<void>;
}

export const isRedisUrl = (url: string) => /^(redis|rediss|sentinel):\/\//.test(url);
export const redisDbOf = (url: string) => Number(new URL(url).pathname.slice(1) || '0');

/**
 * A Redis database of its own (1-15, round robin through a counter in database 0, so concurrent test
 * files get different ones), emptied before and after use.
 */
async function createTestRedisDb(): Promise<TestBroker> {
  const base = new URL(readStackEnv().redisUrl);
  const admin = new Redis(base.toString(), { lazyConnect: true });
  await admin.connect();
  try {
    const n = await admin.incr('celeriac:test-db-counter');
    base.pathname = `/${1 + (n % 15)}`;
  } finally {
    admin.disconnect();
  }
  const url = base.toString();
  const flush = async () => {
    const client = new Redis(url, { lazyConnect: true });
    await client.connect();
    await client.flushdb();
    client.disconnect();
  };
  await flush();
  return { kind: 'redis', url, vhost: '', remove: flush };
}

export async function createTestBroker(kind: TestBrokerKind): Promise<TestBroker> {
  if (kind === 'redis') return createTestRedisDb();
  const vhost = await createTestVhost();
  return { kind, url: vhost.url, vhost: vhost.vhost, remove: () => vhost.remove() };
}

/** Ground truth on Redis: our own subscription to the event channels, envelopes decoded here. */
export async function tapRedisEvents(url: string, elements: Record<string, unknown>[]) {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  client.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, payload: Buffer) => {
    try {
      const envelope = JSON.parse(payload.toString('utf8')) as {
        body: string;
        'content-type'?: string;
        properties?: { body_encoding?: string };
      };
      if (envelope['content-type'] !== 'application/json') return;
      const body = JSON.parse(Buffer.from(envelope.body, 'base64').toString('utf8')) as unknown;
      for (const item of Array.isArray(body) ? body : [body]) {
        if (item && typeof item === 'object' && typeof (item as { type?: unknown }).type === 'string')
          elements.push(item as Record<string, unknown>);
      }
    } catch {
      // malformed input is the dead-letter test's business, not the ground truth's
    }
  });
  await client.psubscribe(`/${redisDbOf(url)}.celeryev/*`);
  return { close: async () => client.disconnect() };
}

/** True once a collector's subscriber connection is subscribed in the URL's database. */
export async function redisSubscribed(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    const list = (await client.client('LIST')) as string;
    const db = redisDbOf(url);
    return list
      .split('\n')
      .some(
        (line) =>
          line.includes(' name=celeriac-collector ') &&
          line.includes(` db=${db} `) &&
          / (psub|sub)=[1-9]/.test(line),
      );
  } finally {
    client.disconnect();
  }
}

/** Publishes one message on the Redis event channel as kombu does, with whatever body and type. */
export async function publishRedisEvent(
  url: string,
  routingKey: string,
  body: Buffer,
  properties: { contentType?: string | undefined; headers?: Record<string, unknown> },
  client?: Redis,
): Promise<void> {
  const own = client ?? new Redis(url);
  const envelope: Record<string, unknown> = {
    body: body.toString('base64'),
    'content-encoding': 'utf-8',
    headers: properties.headers ?? {},
    properties: {
      body_encoding: 'base64',
      delivery_info: { exchange: 'celeryev', routing_key: routingKey },
      delivery_mode: 1,
      priority: 0,
    },
  };
  if (properties.contentType !== undefined) envelope['content-type'] = properties.contentType;
  await own.publish(`/${redisDbOf(url)}.celeryev/${routingKey}`, JSON.stringify(envelope));
  if (!client) own.disconnect();
}
