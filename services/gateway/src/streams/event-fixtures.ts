import type { CeleryEvent, TaskEvent, WorkerEvent } from '@celeriac/proto/events';
import { QUEUES_SNAPSHOT_TYPE } from '@celeriac/proto/topics';

/**
 * CeleryEvents shaped like the collector's output, for specs and the benchmark. Field values follow
 * what Celery 5.5 sends (compare tests/fixtures/celery-5.5.3/events.jsonl and docs/celery-events.md).
 */
let sequence = 0;

function envelope(
  connectionId: string,
  type: string,
  hostname: string,
  atMs: number,
): Omit<CeleryEvent, 'body'> {
  sequence += 1;
  return {
    eventId: `${atMs.toString(16)}${sequence.toString(16).padStart(8, '0')}`,
    connectionId,
    type,
    hostname,
    timestamp: atMs / 1000,
    clock: sequence,
    utcoffset: 0,
    pid: 4242,
    receivedAtMs: atMs,
    extraJson: '{}',
  };
}

export function taskEvent(
  connectionId: string,
  type: string,
  task: Partial<TaskEvent> & { uuid: string },
  options: { atMs?: number; hostname?: string } = {},
): CeleryEvent {
  const atMs = options.atMs ?? Date.now();
  return {
    ...envelope(connectionId, type, options.hostname ?? 'celery@worker-1', atMs),
    body: { $case: 'task', value: task },
  };
}

export function workerEvent(
  connectionId: string,
  type: string,
  hostname: string,
  fields: Partial<WorkerEvent> = {},
  atMs = Date.now(),
): CeleryEvent {
  const value: WorkerEvent = {
    freq: 2,
    active: 0,
    processed: 0,
    loadavg: [0.1, 0.2, 0.3],
    swIdent: 'py-celery',
    swVer: '5.5.3',
    swSys: 'Linux',
    ...fields,
  };
  return { ...envelope(connectionId, type, hostname, atMs), body: { $case: 'worker', value } };
}

export function queuesEvent(
  connectionId: string,
  queues: { name: string; messages: number; consumers: number }[],
  atMs = Date.now(),
): CeleryEvent {
  return {
    ...envelope(connectionId, QUEUES_SNAPSHOT_TYPE, 'collector-1', atMs),
    body: { $case: 'queues', value: { queues } },
  };
}

/** A full successful task lifecycle as a worker reports it. */
export function taskLifecycle(connectionId: string, uuid: string, startMs = Date.now()): CeleryEvent[] {
  return [
    taskEvent(
      connectionId,
      'task-sent',
      {
        uuid,
        name: 'tasks.add',
        args: '(2, 2)',
        kwargs: '{}',
        retries: 0,
        queue: 'celery',
        exchange: '',
        routingKey: 'celery',
      },
      { atMs: startMs, hostname: 'gen1@client' },
    ),
    taskEvent(
      connectionId,
      'task-received',
      { uuid, name: 'tasks.add', args: '(2, 2)', kwargs: '{}', retries: 0, rootId: uuid },
      { atMs: startMs + 1 },
    ),
    taskEvent(connectionId, 'task-started', { uuid }, { atMs: startMs + 2 }),
    taskEvent(connectionId, 'task-succeeded', { uuid, result: '4', runtime: 0.01 }, { atMs: startMs + 3 }),
  ];
}
