import { restoreCeleryObject } from '@celeriac/celery-domain/normalize';
import {
  type CollectorProcess,
  createWorld,
  readEvents,
  sendTraffic,
  spawnCollector,
  waitForEventQueue,
} from '@celeriac/collector/testing/collector-harness';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { formatEventId } from './cursor';
import { grantKeys, type Replica, startReplica } from './live-streams.testkit';
import { entryOf } from './stream-entries';
import { TaskTracker, WorkerTracker } from './trackers';

// The real path: a Celery 5.5 worker and client -> RabbitMQ -> the collector (child process) -> Kafka
// -> this module on a real HTTP server -> an eventsource client and ws clients.
describe('live streams of a real Celery worker through the collector', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess | undefined;
  let worker: CeleryWorker | undefined;
  let kafka: Awaited<ReturnType<typeof readEvents>>;
  let replica: Replica | undefined;
  let source: EventSource | undefined;

  beforeAll(async () => {
    world = await createWorld({
      connectionOptions: { queueSampleIntervalMs: 1000, inspectIntervalMs: 60_000, inspectTimeoutMs: 500 },
    });
    kafka = await readEvents(world.eventsTopic);
    collector = await spawnCollector(world.env);
  });

  afterAll(async () => {
    source?.close();
    await worker?.kill();
    await replica?.stop();
    await collector?.kill();
    await kafka?.stop();
    await world?.cleanup();
  });

  it("streams every event of a Celery workload over SSE in order, and each finished task's history over WS", async () => {
    const connectionId = world.connectionIds[0] as string;
    const brokerUrl = world.vhosts[0]!.url;
    await waitForEventQueue(brokerUrl, connectionId);
    const { key } = await grantKeys(world.database.url, { key: [connectionId] });
    replica = await startReplica({
      databaseUrl: world.database.url,
      brokers: world.env.CELERIAC_KAFKA_BROKERS.split(','),
      topic: world.eventsTopic,
    });

    const received: { id: string; event: string; data: string }[] = [];
    source = new EventSource(`${replica.base}/api/events/stream?token=${key}`);
    for (const kind of ['job:state_change', 'worker:heartbeat', 'worker:state_change', 'queue:snapshot']) {
      source.addEventListener(kind, (message) =>
        received.push({ id: message.lastEventId, event: kind, data: message.data }),
      );
    }
    await waitFor('the event stream to open', () => source?.readyState === source?.OPEN);

    worker = await startCeleryWorker({ brokerUrl, concurrency: 2 });
    await sendTraffic(brokerUrl, [
      '--count',
      '20',
      '--rate',
      '50',
      '--mix',
      'add=60,echo=20,error=10,retry=10',
      '--retry-times',
      '1',
    ]);
    const finished = () =>
      kafka.records.filter((r) => r.value.type === 'task-succeeded' || r.value.type === 'task-failed');
    await waitFor('every task to finish', () => finished().length >= 20, { timeoutMs: 90_000 });
    // A short workload can finish inside one heartbeat interval (2 s): wait for one before stopping.
    await waitFor(
      'a worker heartbeat on the stream',
      () => received.some((item) => item.event === 'worker:heartbeat'),
      { timeoutMs: 30_000 },
    );
    await worker.stop();
    await waitFor(
      'worker-offline in Kafka',
      () => kafka.records.some((r) => r.value.type === 'worker-offline'),
      { timeoutMs: 30_000 },
    );

    // The model over the whole log, in offset order, is what every replica must say.
    const records = [...kafka.records].sort(
      (a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset),
    );
    const trackers = { tasks: new TaskTracker(10_000), workers: new WorkerTracker(100) };
    const expected = records.flatMap((r) =>
      entryOf(r.value, r.partition, Number(r.offset), trackers).sse.map((item, index) => ({
        id: formatEventId({ partition: r.partition, offset: Number(r.offset), index }),
        event: item.event,
        data: item.data,
      })),
    );
    const offlineAt = expected.findIndex(
      (item) => item.event === 'worker:state_change' && item.data.includes('"reason":"worker-offline"'),
    );
    expect(offlineAt).toBeGreaterThan(-1);
    await waitFor(
      'the stream to reach worker-offline',
      () => received.some((item) => item.id === expected[offlineAt]?.id),
      { timeoutMs: 30_000 },
    );
    // The client connected before the worker started, so the workload is a suffix of what it got.
    const from = expected.findIndex((item) => item.id === received[0]?.id);
    expect(from).toBeGreaterThan(-1);
    expect(received.slice(0, offlineAt - from + 1)).toEqual(expected.slice(from, offlineAt + 1));
    const states = new Map(
      received
        .filter((item) => item.event === 'job:state_change')
        .map((item) => JSON.parse(item.data) as { id: string; state: string })
        .map((job) => [job.id, job.state]),
    );
    for (const record of finished())
      expect(['completed', 'failed']).toContain(
        states.get(record.value.body?.$case === 'task' ? record.value.body.value.uuid : ''),
      );
    expect(received.map((item) => item.event)).toEqual(
      expect.arrayContaining(['worker:state_change', 'worker:heartbeat', 'job:state_change']),
    );

    // A late subscriber to each finished task gets its whole history, as wscelery frames.
    for (const record of finished().slice(0, 5)) {
      const uuid = record.value.body?.$case === 'task' ? record.value.body.value.uuid : '';
      const history = records.filter(
        (r) => r.value.body?.$case === 'task' && r.value.body.value.uuid === uuid,
      );
      const ws = new WebSocket(`${replica.base.replace('http', 'ws')}/${uuid}?token=${key}`);
      const frames: Record<string, unknown>[] = [];
      ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
      await waitFor(`the history of ${uuid}`, () => frames.length >= history.length);
      ws.close();
      expect(frames.map((frame) => frame.type)).toEqual(history.map((r) => r.value.type));
      for (const [index, frame] of frames.entries()) {
        const celery = restoreCeleryObject(history[index]!.value);
        for (const key of ['hostname', 'pid', 'queue', 'exchange', 'args', 'kwargs']) delete celery[key];
        expect(frame).toEqual({ ...celery, local_received: history[index]!.value.receivedAtMs / 1000 });
      }
    }
  });
});
