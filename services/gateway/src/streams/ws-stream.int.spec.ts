import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { CeleryEvent } from '@celeriac/proto/events';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { taskEvent, taskLifecycle } from './event-fixtures';
import {
  createEventProducer,
  grantKeys,
  type Produced,
  type Replica,
  startReplica,
} from './live-streams.testkit';
import { celeryTaskFields, wsFrame } from './ws-frames';

const connA = randomUUID();
const connB = randomUUID();
const GRANTS = { 'key-a': [connA], 'key-b': [connB] };
let keys: Record<keyof typeof GRANTS, string>;

interface Subscription {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
}

function subscribe(base: string, path: string, headers: Record<string, string> = {}): Subscription {
  const ws = new WebSocket(base.replace('http', 'ws') + path, { headers });
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return { ws, frames, closed };
}

async function opened(subscription: Subscription): Promise<void> {
  await waitFor('the websocket to open', () => subscription.ws.readyState === WebSocket.OPEN);
}

/** Handshake by hand, then stop reading: a socket nobody else will resume. */
async function rawUpgrade(port: number, path: string, key: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${key}\r\n\r\n`,
  );
  const head = await new Promise<string>((resolve) =>
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))),
  );
  expect(head.startsWith('HTTP/1.1 101')).toBe(true);
  socket.pause();
  return socket;
}

async function readToEnd(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.resume();
  });
  return Buffer.concat(chunks);
}

const expectedFrame = (event: CeleryEvent) =>
  JSON.parse(wsFrame(celeryTaskFields(event), event.receivedAtMs)) as Record<string, unknown>;

describe('wscelery WebSocket stream (real Kafka, real PostgreSQL, ws client)', () => {
  const stack = readStackEnv();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let producer: Awaited<ReturnType<typeof createEventProducer>>;
  let sql: pg.Pool;
  const log: Produced[] = [];
  const replicas: Replica[] = [];
  const sockets: WebSocket[] = [];
  const topic = () => topics.topics.events as string;
  const start = async (streamOptions = {}) => {
    const replica = await startReplica({
      databaseUrl: db.url,
      brokers: stack.kafkaBrokers,
      topic: topic(),
      streamOptions,
    });
    replicas.push(replica);
    return replica;
  };
  const send = async (events: CeleryEvent[]) => {
    const produced = await producer.send(events);
    log.push(...produced);
    return produced;
  };
  const track = (subscription: Subscription) => {
    sockets.push(subscription.ws);
    return subscription;
  };

  /** What the projector writes for task events it applied, and how far it got. */
  async function projectHistory(rows: Produced[], projectedUpTo: Map<number, number>): Promise<void> {
    for (const { event, partition, offset } of rows) {
      await sql.query(
        `INSERT INTO celeriac.task_events (connection_id, event_id, task_uuid, type, hostname, "timestamp", clock, received_at, kafka_partition, kafka_offset, fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), $9, $10, $11)`,
        [
          event.connectionId,
          event.eventId,
          event.body?.$case === 'task' ? event.body.value.uuid : null,
          event.type,
          event.hostname,
          event.timestamp,
          event.clock ?? null,
          event.receivedAtMs,
          partition,
          offset,
          JSON.stringify(celeryTaskFields(event)),
        ],
      );
    }
    for (const [partition, next] of projectedUpTo) {
      await sql.query(
        `INSERT INTO celeriac.projector_offsets (consumer_group, topic, kafka_partition, next_offset) VALUES ('celeriac-projector', $1, $2, $3)
         ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
        [topic(), partition, next],
      );
    }
  }

  /** Next offset per partition over everything produced so far, except the records left out. */
  function upTo(except: Produced[] = []): Map<number, number> {
    const skip = new Set(except.map((item) => `${item.partition}-${item.offset}`));
    const ends = new Map<number, number>([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    for (const item of log)
      if (!skip.has(`${item.partition}-${item.offset}`))
        ends.set(item.partition, Math.max(ends.get(item.partition) ?? 0, item.offset + 1));
    for (const item of except) ends.set(item.partition, Math.min(ends.get(item.partition) ?? 0, item.offset));
    return ends;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    keys = await grantKeys(db.url, GRANTS);
    topics = await createTestTopics(['events']);
    producer = await createEventProducer(stack.kafkaBrokers, topic());
    sql = new pg.Pool({ connectionString: db.url, max: 2 });
    // The projector creates day partitions ahead; this file only needs somewhere for its rows.
    await sql.query('CREATE TABLE celeriac.task_events_test PARTITION OF celeriac.task_events DEFAULT');
  });

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await sql?.end();
    await producer?.close();
    await topics?.remove();
    await db?.drop();
  });

  it('streams every event of a task to every subscriber, subscribed before the task exists', async () => {
    const replica = await start();
    const task = randomUUID();
    const byToken = track(subscribe(replica.base, `/${task}?token=${keys['key-a']}`));
    const byHeader = track(
      subscribe(replica.base, `/ws/tasks/${task}`, { Authorization: `Bearer ${keys['key-a']}` }),
    );
    const otherTenant = track(
      subscribe(replica.base, `/${task}`, { Authorization: `Bearer ${keys['key-b']}` }),
    );
    for (const subscription of [byToken, byHeader, otherTenant]) await opened(subscription);
    await waitFor('the subscribers to register', () => replica.streams.clientCount === 3);

    const events = taskLifecycle(connA, task);
    await send([...events, taskEvent(connA, 'task-sent', { uuid: randomUUID(), name: 'tasks.echo' })]);
    await waitFor('the whole lifecycle', () => byToken.frames.length >= 4 && byHeader.frames.length >= 4);
    const expected = events.map(expectedFrame);
    expect(byToken.frames).toEqual(expected);
    expect(byHeader.frames).toEqual(expected);
    expect(otherTenant.frames).toEqual([]);
    expect(byToken.frames.map((frame) => frame.type)).toEqual([
      'task-sent',
      'task-received',
      'task-started',
      'task-succeeded',
    ]);
    for (const key of ['hostname', 'pid', 'queue', 'exchange', 'args', 'kwargs'])
      expect(byToken.frames[0]).not.toHaveProperty(key);
    expect(byToken.frames[3]).toMatchObject({ uuid: task, result: '4', runtime: 0.01 });
  });

  it('gives a late subscriber the whole history of a finished task (PostgreSQL, ring evicted)', async () => {
    const task = randomUUID();
    const produced = await send([
      ...taskLifecycle(connA, task),
      ...Array.from({ length: 5 }, () =>
        taskEvent(connA, 'task-sent', { uuid: randomUUID(), name: 'filler' }),
      ),
    ]);
    await projectHistory(produced.slice(0, 4), upTo());
    const replica = await start({ replayCapacity: 2 });
    const late = track(subscribe(replica.base, `/${task}`, { Authorization: `Bearer ${keys['key-a']}` }));
    await waitFor('the history', () => late.frames.length >= 4);
    expect(late.frames).toEqual(produced.slice(0, 4).map((item) => expectedFrame(item.event)));
  });

  it('joins history and the live tail at the seam with no gap and no duplicate', async () => {
    const replica = await start({ replayCapacity: 2 });
    const task = randomUUID();
    const [sent, received, started, succeeded] = taskLifecycle(connA, task) as [
      CeleryEvent,
      CeleryEvent,
      CeleryEvent,
      CeleryEvent,
    ];
    const first = await send([sent, received, started]);
    // The projector has applied sent and received; the ring still holds received and started.
    await projectHistory(first.slice(0, 2), upTo(first.slice(2)));
    await waitFor(
      'the replica to read the records',
      () =>
        replica.streams.hub.ring.covers(first[1]!.partition, first[1]!.offset) &&
        [...replica.streams.hub.ring.entries((e) => e.taskUuid === task)].length === 2,
    );
    const joiner = track(subscribe(replica.base, `/${task}`, { Authorization: `Bearer ${keys['key-a']}` }));
    await waitFor('history and ring', () => joiner.frames.length >= 3);
    await send([succeeded]);
    await waitFor('the live event', () => joiner.frames.length >= 4);
    expect(joiner.frames).toEqual([sent, received, started, succeeded].map(expectedFrame));
  });

  it("closes with a policy code when the key is missing or the connection is not the key's", async () => {
    const replica = replicas[0] as Replica;
    const anonymous = track(subscribe(replica.base, `/${randomUUID()}`));
    expect((await anonymous.closed).code).toBe(1008);
    const foreign = track(
      subscribe(replica.base, `/${randomUUID()}?connectionId=${connA}`, {
        Authorization: `Bearer ${keys['key-b']}`,
      }),
    );
    expect((await foreign.closed).code).toBe(1008);
    const badPath = track(
      subscribe(replica.base, '/not/a/task/path', { Authorization: `Bearer ${keys['key-a']}` }),
    );
    expect((await badPath.closed).code).toBe(1006);
  });

  it('cuts off a subscriber that stops reading while another keeps receiving', async () => {
    // Pings far apart: a client that never reads would otherwise also be dropped for not answering them.
    const replica = await start({ maxBufferedBytes: 256 * 1024, heartbeatMs: 600_000 });
    const task = randomUUID();
    const healthy = track(subscribe(replica.base, `/${task}`, { Authorization: `Bearer ${keys['key-a']}` }));
    await opened(healthy);
    // A client that completes the handshake and then never reads a byte.
    const stuck = await rawUpgrade(replica.port, `/${task}`, keys['key-a']);
    await waitFor('both subscribers to register', () => replica.streams.clientCount === 2);
    const padding = 'p'.repeat(50_000);
    const events = Array.from({ length: 300 }, (_, i) =>
      taskEvent(connA, 'task-progress', { uuid: task }, { atMs: Date.now() + i }),
    );
    for (const event of events) event.extraJson = JSON.stringify({ step: 1, padding });
    const sending = send(events);
    const cutOffs = async () =>
      (
        await replica.registry.getSingleMetric('celeriac_gateway_stream_disconnects_total')?.get()
      )?.values.find((v) => v.labels.reason === 'slow-consumer')?.value ?? 0;
    await waitFor('the stuck subscriber to be cut off', async () => (await cutOffs()) >= 1, {
      timeoutMs: 60_000,
    });
    // Reading again, it gets what was queued and then the close frame: 1013 "slow-consumer".
    const bytes = await readToEnd(stuck);
    const reason = Buffer.from('slow-consumer');
    expect(bytes.subarray(bytes.length - reason.length - 4)).toEqual(
      Buffer.concat([Buffer.from([0x88, reason.length + 2, 0x03, 0xf5]), reason]),
    );
    expect(bytes.length).toBeLessThan(events.length * padding.length);
    await sending;
    await waitFor('the healthy subscriber to get everything', () => healthy.frames.length >= events.length, {
      timeoutMs: 60_000,
    });
    expect(healthy.frames.length).toBe(events.length);
  });

  it('tells subscribers to reconnect on shutdown (1012)', async () => {
    const replica = await start();
    const subscription = track(
      subscribe(replica.base, `/${randomUUID()}`, { Authorization: `Bearer ${keys['key-a']}` }),
    );
    await waitFor('the subscriber to register', () => replica.streams.clientCount === 1);
    await replica.stop();
    expect((await subscription.closed).code).toBe(1012);
  });
});
