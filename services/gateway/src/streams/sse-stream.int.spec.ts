import { randomUUID } from 'node:crypto';
import type { CeleryEvent } from '@celeriac/proto/events';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEventId } from './cursor';
import { queuesEvent, taskLifecycle, workerEvent } from './event-fixtures';
import {
  createEventProducer,
  grantKeys,
  type Produced,
  type Replica,
  startReplica,
} from './live-streams.testkit';
import { entryOf } from './stream-entries';
import { TaskTracker, WorkerTracker } from './trackers';

interface Received {
  id: string;
  event: string;
  data: string;
}

const connA = randomUUID();
const connB = randomUUID();
const GRANTS = { 'key-a': [connA], 'key-b': [connB], 'key-ab': [connA, connB] };
let keys: Record<keyof typeof GRANTS, string>;
const KINDS = ['job:state_change', 'worker:heartbeat', 'worker:state_change', 'queue:snapshot'];

/** Every record this file produced, in order: replicas read the topic from its start. */
const log: Produced[] = [];

/**
 * What the stream must say about `produced`, computed by the pure model over the whole log (so task
 * and worker memory match a replica's), keeping only the events of `produced`'s records.
 */
function expectedFor(connectionId: string, produced: Produced[]): Received[] {
  const trackers = { tasks: new TaskTracker(10_000), workers: new WorkerTracker(1_000) };
  const wanted = new Set(produced.map((item) => `${item.partition}-${item.offset}`));
  const out: Received[] = [];
  for (const { event, partition, offset } of log) {
    const entry = entryOf(event, partition, offset, trackers);
    if (event.connectionId !== connectionId || !wanted.has(`${partition}-${offset}`)) continue;
    for (const [index, item] of entry.sse.entries()) {
      out.push({ id: formatEventId({ partition, offset, index }), event: item.event, data: item.data });
    }
  }
  return out;
}

/** A connection's workload: a worker, task lifecycles, heartbeats and queue snapshots, interleaved. */
function workload(connectionId: string, tasks: number, startMs: number): CeleryEvent[] {
  const events: CeleryEvent[] = [
    workerEvent(connectionId, 'worker-online', 'celery@w1', { freq: 2 }, startMs),
  ];
  for (let i = 0; i < tasks; i += 1) {
    const at = startMs + (i + 1) * 100;
    events.push(...taskLifecycle(connectionId, randomUUID(), at));
    if (i % 3 === 0)
      events.push(
        workerEvent(
          connectionId,
          'worker-heartbeat',
          'celery@w1',
          { freq: 2, active: i % 4, processed: i },
          at + 50,
        ),
      );
    if (i % 5 === 0)
      events.push(
        queuesEvent(
          connectionId,
          [
            { name: 'celery', messages: i, consumers: 1 },
            { name: 'high', messages: 0, consumers: 2 },
          ],
          at + 60,
        ),
      );
  }
  return events;
}

function listen(
  base: string | (() => string),
  query: string,
  key: string | null,
  sink: Received[],
): EventSource {
  const target = () => `${typeof base === 'string' ? base : base()}/api/events/stream?${query}`;
  const source = new EventSource(target(), {
    fetch: (_input, init) =>
      fetch(target(), {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string>),
          ...(key ? { Authorization: `Bearer ${key}` } : {}),
        },
      }),
  });
  for (const kind of KINDS)
    source.addEventListener(kind, (message) =>
      sink.push({ id: message.lastEventId, event: kind, data: message.data }),
    );
  return source;
}

async function opened(source: EventSource): Promise<void> {
  await waitFor('the event stream to open', () => source.readyState === source.OPEN);
}

describe('SSE live stream (real Kafka, real HTTP, eventsource client)', () => {
  const stack = readStackEnv();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let producer: Awaited<ReturnType<typeof createEventProducer>>;
  const replicas: Replica[] = [];
  const sources: EventSource[] = [];
  const start = async (streamOptions = {}) => {
    const replica = await startReplica({
      databaseUrl: db.url,
      brokers: stack.kafkaBrokers,
      topic: topics.topics.events as string,
      streamOptions,
    });
    replicas.push(replica);
    return replica;
  };
  const track = (source: EventSource) => {
    sources.push(source);
    return source;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    keys = await grantKeys(db.url, GRANTS);
    topics = await createTestTopics(['events']);
    const made = await createEventProducer(stack.kafkaBrokers, topics.topics.events as string);
    producer = {
      ...made,
      async send(events) {
        const produced = await made.send(events);
        log.push(...produced);
        return produced;
      },
    };
  });

  afterAll(async () => {
    for (const source of sources) source.close();
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await producer?.close();
    await topics?.remove();
    await db?.drop();
  });

  it("delivers every event of a workload, in order, with resumable ids, and only the key's own connection", async () => {
    const replica = await start();
    const viaHeader: Received[] = [];
    const viaToken: Received[] = [];
    const tenantB: Received[] = [];
    const queuesOnly: Received[] = [];
    const a1 = track(listen(replica.base, `connectionId=${connA}`, keys['key-a'], viaHeader));
    const a2 = track(listen(replica.base, `token=${keys['key-a']}`, null, viaToken));
    const b = track(listen(replica.base, `connectionId=${connB}`, keys['key-ab'], tenantB));
    const q = track(listen(replica.base, `connectionId=${connA}&types=queue`, keys['key-a'], queuesOnly));
    for (const source of [a1, a2, b, q]) await opened(source);

    const events = [...workload(connA, 30, Date.now()), ...workload(connB, 5, Date.now())];
    const produced = await producer.send(events);
    const expectedA = expectedFor(connA, produced);
    const expectedB = expectedFor(connB, produced);
    await waitFor(
      'every event of connection A',
      () => viaHeader.length >= expectedA.length && viaToken.length >= expectedA.length,
    );
    await waitFor('every event of connection B', () => tenantB.length >= expectedB.length);

    expect(viaHeader).toEqual(expectedA);
    expect(viaToken).toEqual(expectedA);
    expect(tenantB).toEqual(expectedB);
    expect(queuesOnly).toEqual(expectedA.filter((item) => item.event === 'queue:snapshot'));
    expect(expectedA.map((item) => item.event)).toEqual(
      expect.arrayContaining(
        KINDS.filter((kind) => kind !== 'worker:state_change').concat('worker:state_change'),
      ),
    );
  });

  it('refuses missing keys, foreign connections, unknown types and foreign ids', async () => {
    const replica = replicas[0] ?? (await start());
    const get = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${replica.base}/api/events/stream?${query}`, { headers });
    expect((await get(`connectionId=${connA}`)).status).toBe(401);
    expect((await get(`connectionId=${connA}`, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await get(`connectionId=${connA}`, { Authorization: `Bearer ${keys['key-b']}` })).status).toBe(
      404,
    );
    expect(
      (await get(`connectionId=${randomUUID()}`, { Authorization: `Bearer ${keys['key-b']}` })).status,
    ).toBe(404);
    expect((await get('', { Authorization: `Bearer ${keys['key-ab']}` })).status).toBe(400);
    expect((await get('types=job,bogus', { Authorization: `Bearer ${keys['key-a']}` })).status).toBe(400);
    expect(
      (await get('', { Authorization: `Bearer ${keys['key-a']}`, 'Last-Event-ID': 'garbage' })).status,
    ).toBe(400);
  });

  it('continues on another replica after a crash with Last-Event-ID: no gap, no duplicate', async () => {
    const first = await start();
    const second = await start();
    let current = first.base;
    const received: Received[] = [];
    const source = track(listen(() => current, `connectionId=${connA}`, keys['key-a'], received));
    await opened(source);

    // Killed while the workload is still being produced and streamed: one event every 10 ms.
    const sending = (async () => {
      const produced: Produced[] = [];
      for (const event of workload(connA, 40, Date.now())) {
        produced.push(...(await producer.send([event])));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return produced;
    })();
    await waitFor('the first events on replica 1', () => received.length >= 20);
    current = second.base;
    await first.kill();
    const beforeKill = received.length;
    const produced = await sending;
    expect(beforeKill).toBeLessThan(expectedFor(connA, produced).length);

    const all = expectedFor(connA, produced);
    const firstId = all[0]?.id;
    await waitFor('the whole workload across both replicas', () => received.at(-1)?.id === all.at(-1)?.id, {
      timeoutMs: 60_000,
    });
    expect(second.streams.clientCount).toBe(1);
    // Earlier tests' records are not part of this workload.
    const mine = received.slice(received.findIndex((item) => item.id === firstId));
    expect(new Set(mine.map((item) => item.id)).size).toBe(mine.length);
    expect(mine).toEqual(all);
  });

  it('resumes a raw client exactly after the id it presents', async () => {
    const replica = replicas.at(-1) as Replica;
    const produced = await producer.send(workload(connA, 3, Date.now() + 120_000));
    const expected = expectedFor(connA, produced);
    const resumeAt = expected[4] as Received;
    const controller = new AbortController();
    const response = await fetch(`${replica.base}/api/events/stream?connectionId=${connA}&types=job`, {
      headers: { Authorization: `Bearer ${keys['key-a']}`, 'Last-Event-ID': resumeAt.id },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    const wanted = expected.slice(5).filter((item) => item.event === 'job:state_change');
    await waitFor('the events after the resume point', async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes(`id: ${wanted.at(-1)?.id}\n`);
    });
    controller.abort();
    expect(text).not.toContain(`id: ${resumeAt.id}\nevent`);
    const ids = [...text.matchAll(/^id: (.+)\nevent: job:state_change$/gm)].map((match) => match[1]);
    expect(ids).toEqual(wanted.map((item) => item.id));
  });

  it('cuts off a client that stops reading while the others receive everything', async () => {
    const replica = await start({ maxBufferedBytes: 256 * 1024 });
    const healthy: Received[] = [];
    const source = track(listen(replica.base, `connectionId=${connA}&types=queue`, keys['key-a'], healthy));
    await opened(source);
    const stuck = await fetch(`${replica.base}/api/events/stream?connectionId=${connA}&types=queue`, {
      headers: { Authorization: `Bearer ${keys['key-a']}` },
    });
    expect(stuck.status).toBe(200);
    // Never read while the load runs: the kernel buffers fill, then the server-side buffer.
    const queues = Array.from({ length: 1_000 }, (_, i) => ({
      name: `queue-${i}-${'x'.repeat(40)}`,
      messages: i,
      consumers: 1,
    }));
    const events = Array.from({ length: 200 }, (_, i) => queuesEvent(connA, queues, Date.now() + i));
    const sending = producer.send(events);
    const cutOffs = async () =>
      (
        await replica.registry.getSingleMetric('celeriac_gateway_stream_disconnects_total')?.get()
      )?.values.find((v) => v.labels.reason === 'slow-consumer')?.value ?? 0;
    await waitFor('the stuck client to be cut off', async () => (await cutOffs()) >= 1, {
      timeoutMs: 60_000,
    });
    // Reading again within the grace period, it finds why it was dropped, and a stream that ended.
    const text = await stuck.text();
    expect(text.trimEnd().endsWith('event: disconnect\ndata: {"reason":"slow-consumer"}')).toBe(true);
    const expected = expectedFor(connA, await sending);
    expect(text.length).toBeLessThan(expected.reduce((sum, item) => sum + item.data.length, 0));
    await waitFor(
      'the healthy client to get every snapshot',
      () => healthy.at(-1)?.id === expected.at(-1)?.id,
      { timeoutMs: 90_000 },
    );
    const from = healthy.findIndex((item) => item.id === expected[0]?.id);
    expect(healthy.slice(from)).toEqual(expected);
  });

  it('tells clients to reconnect on shutdown, then closes', async () => {
    const replica = await start();
    const response = await fetch(`${replica.base}/api/events/stream?connectionId=${connA}`, {
      headers: { Authorization: `Bearer ${keys['key-a']}` },
    });
    const reading = response.text();
    await waitFor('the client to be registered', () => replica.streams.clientCount === 1);
    await replica.stop();
    const text = await reading;
    expect(text).toMatch(/retry: \d+\nevent: reconnect\ndata: \{"reason":"shutdown"\}\n\n$/);
    expect(replica.streams.isRunning).toBe(false);
  });

  it('catches up from Kafka when the resume point is older than the replica remembers', async () => {
    const older = await producer.send(workload(connA, 10, Date.now()));
    const replica = await start({ replayCapacity: 5, backfill: 5 });
    const before = expectedFor(connA, older);
    const resumeAt = before[3] as Received;
    expect(replica.streams.hub.ring.covers(older[0]!.partition, older[4]!.offset)).toBe(false);
    const received: Received[] = [];
    const source = track(
      listen(replica.base, `connectionId=${connA}&lastEventId=${resumeAt.id}`, keys['key-a'], received),
    );
    await opened(source);
    const newer = await producer.send(workload(connA, 3, Date.now()));
    const after = expectedFor(connA, newer);
    await waitFor('the old and the new events', () => received.at(-1)?.id === after.at(-1)?.id, {
      timeoutMs: 60_000,
    });
    const wanted = [...before.slice(4), ...after];
    expect(received.map((item) => [item.id, item.event])).toEqual(
      wanted.map((item) => [item.id, item.event]),
    );
  });
});
