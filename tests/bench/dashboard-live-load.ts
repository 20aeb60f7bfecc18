import { randomUUID } from 'node:crypto';
import { encodeEvent } from '@celeriac/event-log/codec';
import { createKafka } from '@celeriac/event-log/kafka';
import type { CeleryEvent, TaskEvent } from '@celeriac/proto/events';
import { silentLogger } from '@celeriac/service-runtime/logger';

let clock = 0;

function taskEvent(connectionId: string, type: string, task: TaskEvent, atMs: number): CeleryEvent {
  clock += 1;
  return {
    eventId: `${atMs.toString(16)}${clock.toString(16).padStart(8, '0')}`,
    connectionId,
    type,
    hostname: type === 'task-sent' ? 'bench@client' : `celery@node${clock % 8}`,
    timestamp: atMs / 1000,
    clock,
    utcoffset: 0,
    pid: 4242,
    receivedAtMs: atMs,
    extraJson: '{}',
    body: { $case: 'task', value: task },
  };
}

/** The four events of one successful task, as the collector writes them to Kafka. */
function lifecycle(connectionId: string, uuid: string, atMs: number): CeleryEvent[] {
  const name = 'app.jobs.live';
  return [
    taskEvent(connectionId, 'task-sent', { uuid, name, args: '(1,)', kwargs: '{}', queue: 'celery' }, atMs),
    taskEvent(connectionId, 'task-received', { uuid, name, args: '(1,)', kwargs: '{}' }, atMs + 1),
    taskEvent(connectionId, 'task-started', { uuid }, atMs + 2),
    taskEvent(connectionId, 'task-succeeded', { uuid, result: 'True', runtime: 0.003 }, atMs + 3),
  ];
}

/**
 * Writes `eventsPerSecond` task events for `seconds` to the events topic in slices of 100 ms, paced by
 * the wall clock (a slice that falls behind is sent at once). Returns the uuid of the last task.
 */
export async function produceLiveLoad(options: {
  brokers: string[];
  topic: string;
  connectionId: string;
  eventsPerSecond: number;
  seconds: number;
}): Promise<{ lastTaskId: string; events: number; elapsedMs: number }> {
  const kafka = createKafka({ clientId: 'dashboard-bench', brokers: options.brokers, logger: silentLogger });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const perSlice = Math.max(1, Math.round(options.eventsPerSecond / 10 / 4));
  const slices = options.seconds * 10;
  const started = Date.now();
  let lastTaskId = '';
  let events = 0;
  try {
    for (let slice = 0; slice < slices; slice += 1) {
      const due = started + slice * 100;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const batch: CeleryEvent[] = [];
      for (let i = 0; i < perSlice; i += 1) {
        lastTaskId = randomUUID();
        batch.push(...lifecycle(options.connectionId, lastTaskId, Date.now()));
      }
      await producer.send({
        topic: options.topic,
        acks: -1,
        messages: batch.map((event) => ({ key: event.connectionId, value: encodeEvent(event) })),
      });
      events += batch.length;
    }
  } finally {
    await producer.disconnect();
  }
  return { lastTaskId, events, elapsedMs: Date.now() - started };
}
