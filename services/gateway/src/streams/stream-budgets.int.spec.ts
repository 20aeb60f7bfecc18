import { randomUUID } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { createKafka } from '@celeriac/event-log/kafka';
import type { CeleryEvent } from '@celeriac/proto/events';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../testing/gateway-fixture';
import {
  type GatewayProcess,
  markProjected,
  startGatewayProcess,
  streamClients,
} from '../testing/gateway-process';
import { taskEvent, taskLifecycle } from './event-fixtures';
import { createEventProducer } from './live-streams.testkit';

// A real gateway process (main.ts, configured by environment) on real Kafka and PostgreSQL: what
// huge, broken or never-read data costs a replica's streams (ring and history bytes, bad records,
// idle catch-ups).
const REPLAY_BYTES = 8 * 1024 * 1024;
let gw: GatewayProcess;
let streams: ReturnType<typeof streamClients>;
let producer: Awaited<ReturnType<typeof createEventProducer>>;
const sse = (key: string, query = '', headers: Record<string, string> = {}) =>
  streams.sse(key, query, headers);
const ws = (key: string, task?: string) => streams.ws(key, task);

beforeAll(async () => {
  gw = await startGatewayProcess({
    CELERIAC_GATEWAY_CATCH_UPS_PER_KEY: '1',
    CELERIAC_GATEWAY_REPLAY_ENTRIES: '10',
    CELERIAC_GATEWAY_REPLAY_BYTES: String(REPLAY_BYTES),
    CELERIAC_GATEWAY_CATCH_UP_IDLE_MS: '1500',
  });
  streams = streamClients(gw);
  producer = await createEventProducer(readStackEnv().kafkaBrokers, gw.topic);
  await markProjected(gw);
}, 120_000);

afterAll(async () => {
  streams?.closeAll();
  await producer?.close();
  await gw?.close();
});

describe('replay ring byte budget', () => {
  it('holds tasks with multi-megabyte results within its bytes, and still serves the newest', async () => {
    const admin = createKafka({
      clientId: 'ring-test',
      brokers: readStackEnv().kafkaBrokers,
      logger: silentLogger,
    }).admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: 2, name: gw.topic, configEntries: [{ name: 'max.message.bytes', value: '10485760' }] },
      ],
    });
    await admin.disconnect();
    const connection = await insertConnection(gw.pool, 'big-results');
    const { key } = await gw.key('viewer', [connection]);
    const before = await gw.metric('celeriac_gateway_stream_records_total');
    const size = 3 * 1024 * 1024;
    const uuids = Array.from({ length: 8 }, () => randomUUID());
    for (const [index, uuid] of uuids.entries())
      await producer.send([
        taskEvent(connection, 'task-succeeded', { uuid, result: `'${String(index).repeat(size)}'` }),
      ]);
    await waitFor(
      'the replica to have read them',
      async () => (await gw.metric('celeriac_gateway_stream_records_total')) >= before + uuids.length,
    );
    // Each entry holds its 3 MB record (counted twice, for the frame it may become): the ring keeps
    // what fits in 8 MiB, never the 8 entries its count would allow.
    expect(await gw.metric('celeriac_gateway_stream_replay_bytes')).toBeLessThanOrEqual(
      REPLAY_BYTES + 2 * size + 4096,
    );
    expect(await gw.metric('celeriac_gateway_stream_replay_entries')).toBeLessThan(3);
    // A late subscriber to the newest task still gets its frame, result and all.
    const socket = ws(key, uuids[uuids.length - 1]);
    await waitFor('the newest task frame', () => socket.frames.length > 0, { timeoutMs: 15_000 });
    expect((JSON.parse(socket.frames[0] as string) as { result: string }).result).toHaveLength(size + 2);
    expect(gw.alive).toBe(true);
  });
});

describe('a bad record on the topic', () => {
  it("breaks neither another tenant's stream nor a catch-up across it", async () => {
    const [f, g] = [await insertConnection(gw.pool, 'tenant-f'), await insertConnection(gw.pool, 'tenant-g')];
    const [fKey, gKey] = [(await gw.key('viewer', [f])).key, (await gw.key('viewer', [g])).key];
    const [fStream, gStream] = [await sse(fKey), await sse(gKey)];
    const kafka = createKafka({
      clientId: 'garbage',
      brokers: readStackEnv().kafkaBrokers,
      logger: silentLogger,
    });
    const raw = kafka.producer();
    await raw.connect();
    const [fBefore] = await producer.send(taskLifecycle(f, randomUUID()).slice(0, 1));
    const [gBefore] = await producer.send(taskLifecycle(g, randomUUID()).slice(0, 1));
    // Garbage in both tenants' partitions, and an event that decodes but whose time is not a date.
    await raw.send({
      topic: gw.topic,
      messages: [
        { key: f, value: Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef]) },
        { key: g, value: Buffer.from('not a protobuf at all \u0000\u00ff') },
      ],
    });
    await raw.disconnect();
    const broken = taskEvent(f, 'task-received', { uuid: randomUUID(), name: 'tasks.add' });
    await producer.send([{ ...broken, timestamp: 1e20 }]);
    const fAfter = await producer.send(
      Array.from({ length: 3 }, () => taskLifecycle(f, randomUUID())).flat(),
    );
    const [gAfter] = await producer.send(taskLifecycle(g, randomUUID()).slice(0, 1));
    const id = (record: { partition: number; offset: number } | undefined) =>
      `id: ${record?.partition}-${record?.offset}\n`;
    const fLast = fAfter[fAfter.length - 1];
    await waitFor(
      'both tenants to get the events after the bad records',
      () => fStream.text.includes(id(fLast)) && gStream.text.includes(id(gAfter)),
    );
    expect(fStream.text).toContain(id(fBefore));
    expect(gStream.text).toContain(id(gBefore));
    expect(gStream.text).not.toContain(f);
    expect(fStream.text).not.toContain(g);
    // A resume from before the bad records is older than the ring (10 entries): a Kafka catch-up
    // reads across them and reaches the end.
    const resumed = await sse(fKey, '', { 'last-event-id': `${fBefore?.partition}-${fBefore?.offset}` });
    expect(resumed.status).toBe(200);
    await waitFor('the catch-up to read past the bad records', () => resumed.text.includes(id(fLast)));
    expect(resumed.text).toContain(id(fAfter[0]));
  });
});

describe('an idle catch-up', () => {
  it('is cut off when its client reads nothing, and frees its reader for the key', async () => {
    const connection = await insertConnection(gw.pool, 'idle-catch-up');
    const { key } = await gw.key('viewer', [connection]);
    const [first] = await producer.send(taskLifecycle(connection, randomUUID()).slice(0, 1));
    // Far more than the socket buffers and the client's 4 MiB allowance hold.
    for (let batch = 0; batch < 30; batch += 1)
      await producer.sendBatch(
        Array.from({ length: 1_000 }, () => taskLifecycle(connection, randomUUID())[0] as CeleryEvent),
      );
    const resume = `${first?.partition}-${first?.offset}`;
    // A client that opens the catch-up and then never reads.
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = get(
        `${gw.url}/api/events/stream`,
        { headers: { authorization: `Bearer ${key}`, 'last-event-id': resume } },
        resolve,
      );
      request.on('error', reject);
    });
    expect(response.statusCode).toBe(200);
    response.pause();
    streams.track(() => response.destroy());
    await waitFor(
      'the idle catch-up to be cut off',
      async () =>
        (await gw.metric('celeriac_gateway_stream_disconnects_total', 'reason="idle-catch-up"')) >= 1,
      { timeoutMs: 60_000 },
    );
    // Its reader is free: the key (1 catch-up allowed) may catch up again.
    const again = await sse(key, '', { 'last-event-id': resume });
    expect(again.status).toBe(200);
    again.close();
  });
});

describe('a late WebSocket subscriber to a task with a huge history', () => {
  it('gets every event, its long values cut so the history held in memory fits what the client may buffer', async () => {
    const connection = await insertConnection(gw.pool, 'huge-history');
    const { key } = await gw.key('viewer', [connection]);
    const uuid = randomUUID();
    const size = 3 * 1024 * 1024;
    await gw.pool.query(
      'CREATE TABLE IF NOT EXISTS celeriac.task_events_test PARTITION OF celeriac.task_events DEFAULT',
    );
    // What the projector stores for three events that each carried a 3 MB value.
    for (let offset = 0; offset < 3; offset += 1)
      await gw.pool.query(
        `INSERT INTO celeriac.task_events (connection_id, event_id, task_uuid, type, hostname, "timestamp",
           received_at, kafka_partition, kafka_offset, fields)
         VALUES ($1, $2, $3, 'task-progress', 'celery@w1', 1700000000, now(), 0, $4, $5)`,
        [
          connection,
          `${uuid}-${offset}`,
          uuid,
          900_000 + offset,
          JSON.stringify({ progress: 'p'.repeat(size) }),
        ],
      );
    const socket = ws(key, uuid);
    await waitFor('the three history frames', () => socket.frames.length === 3, { timeoutMs: 15_000 });
    for (const frame of socket.frames)
      expect((JSON.parse(frame) as { progress: string }).progress).toMatch(
        /\[truncated by Celeriac: 3145728 bytes\]$/,
      );
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
  });
});
