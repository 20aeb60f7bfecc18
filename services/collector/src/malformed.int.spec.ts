import { eventIdOf } from '@celeriac/celery-domain/normalize';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import {
  isRedisUrl,
  publishRedisEvent,
  redisDbOf,
  TEST_BROKER_KINDS,
} from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  readDeadLetters,
  readEvents,
  sendTraffic,
  spawnCollector,
  tapCeleryEvents,
  waitForEventQueue,
} from '../testing/collector-harness';

const JUNK_HOST = 'junk@test';
const json = 'application/json';
/** Ten kinds of unusable input, each giving exactly one dead letter. */
const MALFORMED: { body: Buffer; contentType?: string; reason: string }[] = [
  { body: Buffer.from('{"type": "task-started", oops'), contentType: json, reason: 'not-json' },
  {
    body: Buffer.from(JSON.stringify({ type: 'task-started', uuid: 'u', hostname: JUNK_HOST, timestamp: 1 })),
    contentType: 'application/x-python-serialize',
    reason: 'wrong-content-type',
  },
  {
    body: Buffer.from(JSON.stringify({ type: 'task-started', uuid: 'u', hostname: JUNK_HOST, timestamp: 1 })),
    reason: 'wrong-content-type',
  },
  {
    body: Buffer.from(JSON.stringify({ type: 'bogus-event', hostname: JUNK_HOST, timestamp: 1 })),
    contentType: json,
    reason: 'unknown-type',
  },
  {
    body: Buffer.from(JSON.stringify({ type: 'task-succeeded', hostname: JUNK_HOST, timestamp: 1 })),
    contentType: json,
    reason: 'missing-uuid',
  },
  {
    body: Buffer.from(
      JSON.stringify({ type: 'task-started', uuid: 'u', hostname: JUNK_HOST, timestamp: 1, clock: 'x' }),
    ),
    contentType: json,
    reason: 'wrong-field-type',
  },
  {
    body: Buffer.from(
      JSON.stringify({
        type: 'task-started',
        uuid: 'u',
        hostname: JUNK_HOST,
        timestamp: 1,
        pad: 'x'.repeat(70_000),
      }),
    ),
    contentType: json,
    reason: 'oversize',
  },
  { body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), contentType: json, reason: 'not-utf8' },
  {
    body: Buffer.from(JSON.stringify([{ type: 'task-started', hostname: JUNK_HOST, timestamp: 1 }])),
    contentType: json,
    reason: 'missing-uuid',
  },
  { body: Buffer.from('42'), contentType: json, reason: 'not-an-object' },
];

/** Pub/sub payloads a kombu receiver could not unwrap; each must give one `bad-envelope` dead letter. */
const NOT_ENVELOPES = [
  Buffer.from('plain text'),
  Buffer.from('{"no": "body"}'),
  Buffer.from('[1, 2]'),
  Buffer.from(JSON.stringify({ body: 'e30=', properties: { body_encoding: 'rot13' } })),
];

/** Junk number i, as a worker would publish an event: on the celeryev exchange or the Redis event channel. */
async function publishJunk(brokerUrl: string, count: number): Promise<void> {
  const message = (i: number) => {
    const junk = MALFORMED[i % MALFORMED.length]!;
    return {
      routingKey: i % 2 ? 'task.multi' : 'junk.key',
      body: junk.body,
      properties: { contentType: junk.contentType, headers: { hostname: JUNK_HOST, n: i } },
    };
  };
  if (isRedisUrl(brokerUrl)) {
    const client = new Redis(brokerUrl);
    for (let i = 0; i < count; i++) {
      const { routingKey, body, properties } = message(i);
      await publishRedisEvent(brokerUrl, routingKey, body, properties, client);
    }
    // Redis only: payloads that are no kombu envelope at all.
    for (const payload of NOT_ENVELOPES)
      await client.publish(`/${redisDbOf(brokerUrl)}.celeryev/task.multi`, payload);
    client.disconnect();
    return;
  }
  const connection = await amqp.connect(brokerUrl);
  const channel = await connection.createConfirmChannel();
  for (let i = 0; i < count; i++) {
    const { routingKey, body, properties } = message(i);
    channel.publish('celeryev', routingKey, body, properties);
    if (i % 100 === 99) await channel.waitForConfirms();
  }
  await connection.close();
}

// 1,000 unusable messages interleaved with a real worker's traffic on the same celeryev exchange.
describe.each(TEST_BROKER_KINDS)('collector on malformed broker input (%s)', (broker) => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>>;
  let events: Awaited<ReturnType<typeof readEvents>>;
  let deadLetters: Awaited<ReturnType<typeof readDeadLetters>>;

  beforeAll(async () => {
    world = await createWorld({
      broker,
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    tap = await tapCeleryEvents(world.vhosts[0]!.url);
    events = await readEvents(world.eventsTopic);
    deadLetters = await readDeadLetters(world.deadLetterTopic);
    collector = await spawnCollector({ ...world.env, CELERIAC_MAX_BODY_BYTES: '65536' });
  });
  afterAll(async () => {
    await worker?.kill();
    await collector?.kill();
    await events?.stop();
    await deadLetters?.stop();
    await tap?.close().catch(() => undefined);
    await world?.cleanup();
  });

  it('dead-letters all 1,000, delivers every real event, and stays alive', async () => {
    const connectionId = world.connectionIds[0]!;
    const brokerUrl = world.vhosts[0]!.url;
    await waitForEventQueue(brokerUrl, connectionId);
    worker = await startCeleryWorker({ brokerUrl, concurrency: 2 });
    const traffic = sendTraffic(brokerUrl, ['--count', '200', '--rate', '100', '--mix', 'add=70,error=30']);

    await publishJunk(brokerUrl, 1000);
    await traffic;
    await waitFor(
      'every task to finish',
      () => tap.elements.filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >= 200,
      { timeoutMs: 60_000 },
    );
    await worker.stop();
    await waitFor('worker-offline on the wire', () => tap.elements.some((e) => e.type === 'worker-offline'));

    const extra = broker === 'redis' ? NOT_ENVELOPES.length : 0;
    await waitFor('every dead letter', () => deadLetters.records.length >= 1000 + extra, {
      timeoutMs: 30_000,
    });
    const reasons = new Map<string, number>();
    const unwrapped: Buffer[] = [];
    for (const { key, value } of deadLetters.records) {
      expect(key).toBe(connectionId);
      expect(value.connectionId).toBe(connectionId);
      if (value.reason.startsWith('bad-envelope:')) {
        unwrapped.push(Buffer.from(value.raw));
        reasons.set('bad-envelope', (reasons.get('bad-envelope') ?? 0) + 1);
        continue;
      }
      const n = Number(JSON.parse(value.headersJson).n);
      expect(Buffer.from(value.raw).equals(MALFORMED[n % MALFORMED.length]!.body)).toBe(true);
      const reason = value.reason.split(':')[0]!;
      expect(reason).toBe(MALFORMED[n % MALFORMED.length]!.reason);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    expect(deadLetters.records).toHaveLength(1000 + extra);
    expect(unwrapped.map((raw) => raw.toString())).toEqual(
      broker === 'redis' ? NOT_ENVELOPES.map((raw) => raw.toString()) : [],
    );
    const numbered = deadLetters.records.filter((r) => !r.value.reason.startsWith('bad-envelope:'));
    expect(new Set(numbered.map((r) => JSON.parse(r.value.headersJson).n)).size).toBe(1000);

    const real = tap.elements.filter((element) => element.hostname !== JUNK_HOST);
    const expected = new Set(real.map((element) => eventIdOf(connectionId, element)));
    await waitFor('every real event in Kafka', () => {
      const seen = new Set(events.records.map((record) => record.value.eventId));
      return [...expected].every((id) => seen.has(id));
    });
    expect(events.records.every((record) => record.value.hostname !== JUNK_HOST)).toBe(true);

    expect(collector.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${collector.opsPort}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${collector.opsPort}/metrics`)).text();
    const counted = [
      ...metrics.matchAll(/^celeriac_collector_dead_letters_total\{reason="([^"]+)"\} (\d+)$/gm),
    ];
    expect(Object.fromEntries(counted.map(([, reason, count]) => [reason, Number(count)]))).toEqual(
      Object.fromEntries(reasons),
    );
  });
});
