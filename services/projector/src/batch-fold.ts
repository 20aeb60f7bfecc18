import { evolveTask } from '@celeriac/celery-domain/task-evolve';
import { emptyTask, type TaskRow } from '@celeriac/celery-domain/task-row';
import { type ClassifiedEvent, withoutNul } from './event-input';
import { evolveWorker } from './worker-evolve';
import { emptyWorker, type WorkerRow } from './worker-state';

type Classified<K extends string> = Extract<ClassifiedEvent, { kind: K }>;
export type PositionedEvent = Exclude<ClassifiedEvent, { kind: 'ignored' | 'bad' }> & {
  offset: number;
  partition: number;
  fields: unknown;
};

export interface HistoryRow {
  connectionId: string;
  eventId: string;
  taskUuid: string;
  type: string;
  hostname: string;
  timestamp: number;
  clock: number | null;
  receivedAtMs: number;
  partition: number;
  offset: number;
  fields: unknown;
}

export interface QueueSample {
  connectionId: string;
  name: string;
  messages: number;
  consumers: number;
  sampledAtMs: number;
}

/** What Prometheus learns from one fresh task event (Flower's per-event metric updates). */
export interface TaskObservation {
  connectionId: string;
  type: string;
  hostname: string;
  taskName: string;
  runtime: number | null;
  prefetchSeconds: number | null;
  finished: boolean;
  workerHostname: string | null;
}

export interface BatchChanges {
  tasks: Map<string, TaskRow>;
  workers: Map<string, WorkerRow>;
  history: HistoryRow[];
  taskTypes: Map<string, { connectionId: string; name: string; firstSeenMs: number }>;
  samples: QueueSample[];
  /** Tasks named as parent by folded events: their `children` are recomputed. */
  parents: Map<string, { connectionId: string; uuid: string }>;
  /** Tasks this batch creates; children that arrived before them are looked up. */
  created: { connectionId: string; uuid: string }[];
  observations: TaskObservation[];
}

export const rowKey = (connectionId: string, id: string): string => `${connectionId}\u0000${id}`;

const TASK_EXTRA_SKIP = new Set([
  'name',
  'args',
  'kwargs',
  'retries',
  'eta',
  'expires',
  'root_id',
  'parent_id',
  'queue',
  'exchange',
  'routing_key',
  'result',
  'runtime',
  'exception',
  'traceback',
  'hostname',
  'timestamp',
  'clock',
  'utcoffset',
  'pid',
  'local_received',
]);

function taskExtra(event: Classified<'task'>): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.extra)) if (!TASK_EXTRA_SKIP.has(key)) extra[key] = value;
  const { requeue, terminated, signum, expired } = event.task;
  for (const [key, value] of Object.entries({ requeue, terminated, signum, expired }))
    if (value !== undefined) extra[key] = value;
  return extra;
}

/**
 * Folds one batch of fresh (not yet applied) events into the rows they change, in memory, so the
 * store writes one upsert per task and per worker however many events touched it. Pure.
 */
export function foldBatch(input: {
  events: PositionedEvent[];
  tasks: Map<string, TaskRow>;
  workers: Map<string, WorkerRow>;
  nowMs: number;
}): BatchChanges {
  const changes: BatchChanges = {
    tasks: new Map(),
    workers: new Map(),
    history: [],
    taskTypes: new Map(),
    samples: [],
    parents: new Map(),
    created: [],
    observations: [],
  };
  const taskOf = (connectionId: string, uuid: string) => {
    const key = rowKey(connectionId, uuid);
    return changes.tasks.get(key) ?? input.tasks.get(key) ?? emptyTask(connectionId, uuid);
  };
  const foldWorker = (
    connectionId: string,
    hostname: string,
    atMs: number,
    apply: (row: WorkerRow) => WorkerRow,
  ) => {
    const key = rowKey(connectionId, hostname);
    const row =
      changes.workers.get(key) ?? input.workers.get(key) ?? emptyWorker(connectionId, hostname, atMs);
    changes.workers.set(key, apply(row));
  };

  for (const event of input.events) {
    if (event.kind === 'task') {
      const before = taskOf(event.connectionId, event.task.uuid);
      const after = evolveTask(before, {
        subject: event.subject,
        timestamp: event.timestamp,
        clock: event.clock,
        hostname: event.hostname,
        task: event.task,
        extra: taskExtra(event),
      });
      const key = rowKey(event.connectionId, event.task.uuid);
      if (!changes.tasks.has(key) && !input.tasks.has(key))
        changes.created.push({ connectionId: event.connectionId, uuid: event.task.uuid });
      changes.tasks.set(key, after);
      if (after.parentId)
        changes.parents.set(rowKey(event.connectionId, after.parentId), {
          connectionId: event.connectionId,
          uuid: after.parentId,
        });
      const typeName = event.task.name;
      if (typeName) {
        // Only events that carry the name count, so first_seen_at does not depend on delivery order.
        const typeKey = rowKey(event.connectionId, typeName);
        const seen = changes.taskTypes.get(typeKey);
        if (!seen || seen.firstSeenMs > event.timestamp * 1000)
          changes.taskTypes.set(typeKey, {
            connectionId: event.connectionId,
            name: typeName,
            firstSeenMs: event.timestamp * 1000,
          });
      }
      changes.history.push({
        connectionId: event.connectionId,
        eventId: event.eventId,
        taskUuid: event.task.uuid,
        type: event.type,
        hostname: event.hostname,
        timestamp: event.timestamp,
        clock: event.clock,
        receivedAtMs: event.receivedAtMs,
        partition: event.partition,
        offset: event.offset,
        fields: event.fields,
      });
      if (event.subject !== 'sent')
        foldWorker(event.connectionId, event.hostname, event.receivedAtMs, (row) =>
          evolveWorker(
            row,
            { kind: 'task', timestamp: event.timestamp, receivedAtMs: event.receivedAtMs },
            input.nowMs,
          ),
        );
      const prefetch =
        event.subject === 'started' && after.eta === null && after.received !== null
          ? Math.max(0, event.timestamp - after.received)
          : null;
      changes.observations.push({
        connectionId: event.connectionId,
        type: event.type,
        hostname: event.hostname,
        taskName: after.name ?? '',
        runtime: event.task.runtime ?? null,
        prefetchSeconds: prefetch,
        finished: event.subject === 'succeeded' || event.subject === 'failed',
        workerHostname: after.worker,
      });
    } else if (event.kind === 'worker') {
      foldWorker(event.connectionId, event.hostname, event.receivedAtMs, (row) =>
        evolveWorker(
          row,
          {
            kind: 'worker',
            subject: event.subject,
            timestamp: event.timestamp,
            receivedAtMs: event.receivedAtMs,
            clock: event.clock,
            pid: event.pid,
            fields: event.worker,
          },
          input.nowMs,
        ),
      );
    } else if (event.kind === 'inspect') {
      for (const [hostname, text] of Object.entries(event.inspect.repliesJson)) {
        const reply = parseReply(text);
        foldWorker(event.connectionId, hostname, event.receivedAtMs, (row) =>
          evolveWorker(
            row,
            {
              kind: 'inspect',
              method: event.inspect.method,
              reply,
              timestamp: event.timestamp,
              receivedAtMs: event.receivedAtMs,
            },
            input.nowMs,
          ),
        );
      }
    } else {
      for (const queue of event.queues.queues) {
        changes.samples.push({
          connectionId: event.connectionId,
          name: queue.name,
          messages: queue.messages,
          consumers: queue.consumers,
          sampledAtMs: event.timestamp * 1000,
        });
      }
    }
  }
  return changes;
}

/** A reply that is not JSON is kept as its text rather than lost. */
function parseReply(text: string): unknown {
  try {
    return withoutNul(JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}
