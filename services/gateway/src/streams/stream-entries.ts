import { decodeEvent } from '@celeriac/event-log/codec';
import type { CeleryEvent } from '@celeriac/proto/events';
import { QUEUES_SNAPSHOT_TYPE } from '@celeriac/proto/topics';
import { jobStateOf } from './celery-state';
import type { TaskTracker, WorkerTracker, WorkerTransition } from './trackers';
import { celeryTaskFields, wsFrame } from './ws-frames';

/** The `types=` filter groups. */
export type StreamKind = 'job' | 'worker' | 'queue';

/** One SSE event, serialized once per replica and written to every client as is. */
export interface SseItem {
  readonly kind: StreamKind;
  readonly event: string;
  readonly data: string;
}

/** What one Kafka record means to the streams; kept in the replay ring. */
export interface StreamEntry {
  readonly partition: number;
  readonly offset: number;
  readonly connectionId: string;
  readonly taskUuid: string | null;
  /** The wscelery frame of a task event, built when a WS subscriber first asks for it. */
  readonly wsFrame: string | null;
  readonly sse: readonly SseItem[];
  /** Estimated memory of the entry, what the replay ring's byte budget counts. */
  readonly bytes: number;
}

/** Fixed cost of an entry and of each SSE item (objects, ids, names), an estimate. */
const ENTRY_OVERHEAD_BYTES = 256;
const ITEM_OVERHEAD_BYTES = 64;

/**
 * The record's bytes are held until a WS subscriber asks for the frame, then the frame string: JSON
 * text of about the same length, in two-byte characters when it has non-Latin-1 text. Twice the
 * record covers both.
 */
function entryBytes(sse: readonly SseItem[], raw: Uint8Array | undefined): number {
  let bytes = ENTRY_OVERHEAD_BYTES + 2 * (raw?.length ?? 0);
  for (const item of sse) bytes += ITEM_OVERHEAD_BYTES + 2 * item.data.length;
  return bytes;
}

/**
 * A task entry's WS frame, made on first read: most task events never meet a WS subscriber, and
 * building every frame up front cost the gateway a large share of its CPU during ingest bursts.
 * With the record's bytes at hand the entry keeps those (smaller than the frame) and decodes them
 * again when asked; otherwise it keeps the decoded event. An event that cannot be made into a frame
 * has none (null) rather than throwing into the fan-out.
 */
function lazyFrame(event: CeleryEvent, raw: Uint8Array | undefined): () => string | null {
  let frame: string | null | undefined;
  let bytes = raw ? Buffer.from(raw) : undefined;
  let decoded: CeleryEvent | undefined = raw ? undefined : event;
  return () => {
    if (frame === undefined) {
      try {
        const source = decoded ?? decodeEvent(bytes as Uint8Array);
        frame = wsFrame(celeryTaskFields(source), source.receivedAtMs);
      } catch {
        frame = null;
      }
      bytes = undefined;
      decoded = undefined;
    }
    return frame;
  };
}

/** Broker timestamps are not trusted to be in Date's range: an impossible one is null, not a throw. */
const iso = (epochSeconds: number): string | null => {
  const date = new Date(Math.round(epochSeconds * 1000));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

function workerChange(change: WorkerTransition, atMs: number): SseItem {
  const data = {
    id: change.hostname,
    hostname: change.hostname,
    state: change.state,
    previousState: change.previousState,
    reason: change.reason,
    timestamp: new Date(atMs).toISOString(),
  };
  return { kind: 'worker', event: 'worker:state_change', data: JSON.stringify(data) };
}

/**
 * Pure apart from the trackers it advances: the same records in the same order give the same
 * entries, on every replica. `raw` is the record's value, when the caller decoded `event` from it.
 */
export function entryOf(
  event: CeleryEvent,
  partition: number,
  offset: number,
  trackers: { tasks: TaskTracker; workers: WorkerTracker },
  raw?: Uint8Array,
): StreamEntry {
  const atMs = event.receivedAtMs;
  const sse: SseItem[] = trackers.workers
    .expire(event.connectionId, atMs)
    .map((change) => workerChange(change, atMs));
  const base = { partition, offset, connectionId: event.connectionId };
  const body = event.body;

  if (body?.$case === 'task') {
    const task = body.value;
    trackers.workers.touch(event.connectionId, event.hostname, atMs);
    const change = trackers.tasks.apply(
      event.connectionId,
      task.uuid,
      event.type,
      event.timestamp,
      task.name ?? null,
    );
    if (change.previous !== change.next) {
      const context = { eta: task.eta ?? null, requeue: task.requeue };
      const data = {
        id: task.uuid,
        name: change.name,
        state: jobStateOf(change.next, context),
        previousState: change.previous === null ? null : jobStateOf(change.previous, context),
        celeryState: change.next,
        previousCeleryState: change.previous,
        hostname: event.hostname,
        timestamp: iso(event.timestamp),
      };
      sse.push({ kind: 'job', event: 'job:state_change', data: JSON.stringify(data) });
    }
    const frame = lazyFrame(event, raw);
    return {
      ...base,
      taskUuid: task.uuid,
      get wsFrame() {
        return frame();
      },
      sse,
      bytes: entryBytes(sse, raw),
    };
  }

  if (body?.$case === 'worker') {
    const worker = body.value;
    const change = trackers.workers.observe(
      event.connectionId,
      event.hostname,
      event.type,
      worker.freq,
      atMs,
    );
    if (change) sse.push(workerChange(change, atMs));
    if (event.type === 'worker-heartbeat') {
      const data = {
        id: event.hostname,
        hostname: event.hostname,
        state: 'online',
        activeJobs: worker.active ?? null,
        processed: worker.processed ?? null,
        loadavg: worker.loadavg,
        freq: worker.freq ?? null,
        timestamp: iso(event.timestamp),
      };
      sse.push({ kind: 'worker', event: 'worker:heartbeat', data: JSON.stringify(data) });
    }
  } else if (body?.$case === 'queues' && event.type === QUEUES_SNAPSHOT_TYPE) {
    const timestamp = iso(event.timestamp);
    for (const queue of body.value.queues) {
      const data = { name: queue.name, depth: queue.messages, consumers: queue.consumers, timestamp };
      sse.push({ kind: 'queue', event: 'queue:snapshot', data: JSON.stringify(data) });
    }
  }
  return { ...base, taskUuid: null, wsFrame: null, sse, bytes: entryBytes(sse, undefined) };
}
