import type {
  CeleryEvent,
  InspectSnapshot,
  QueuesSnapshot,
  TaskEvent,
  WorkerEvent,
} from '@celeriac/proto/events';
import { INSPECT_SNAPSHOT_TYPE, QUEUES_SNAPSHOT_TYPE } from '@celeriac/proto/topics';

/** Why an event was skipped; the label of celeriac_projector_events_skipped_total. */
export type SkipReason =
  | 'unknown_type'
  | 'missing_uuid'
  | 'absurd_timestamp'
  | 'bad_connection_id'
  | 'body_mismatch'
  | 'bad_extra_json'
  | 'out_of_range'
  | 'rejected_by_database';

interface Common {
  eventId: string;
  connectionId: string;
  hostname: string;
  timestamp: number;
  clock: number | null;
  pid: number | null;
  receivedAtMs: number;
  extra: Record<string, unknown>;
}

export type ClassifiedEvent =
  | (Common & { kind: 'task'; type: string; subject: string; task: TaskEvent })
  | (Common & { kind: 'worker'; subject: string; worker: WorkerEvent })
  | (Common & { kind: 'queues'; queues: QueuesSnapshot })
  | (Common & { kind: 'inspect'; inspect: InspectSnapshot })
  /** Valid but of no interest to the read models (worker-elect and other gossip). */
  | { kind: 'ignored' }
  | { kind: 'bad'; reason: SkipReason };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Celery events predate nothing before 2000; a day ahead of the collector's clock is clock trouble. */
const EARLIEST_EPOCH_S = 946_684_800;
/** Columns tasks.retries and workers.active are PostgreSQL integer; a bigger value would fail the batch. */
const fitsInt4 = (value: number | undefined) =>
  value === undefined || (value >= -2_147_483_648 && value <= 2_147_483_647);
const MAX_AHEAD_S = 86_400;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// One cheap character-class scan; the exact surrogate-pair check runs only when it finds something.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this scan looks for
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
const LONE_SURROGATE_TEST = new RegExp(LONE_SURROGATE.source);

function hasNul(value: unknown): boolean {
  if (typeof value === 'string')
    return SUSPECT.test(value) && (value.includes('\u0000') || LONE_SURROGATE_TEST.test(value));
  if (Array.isArray(value)) return value.some(hasNul);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (hasNul(key) || hasNul((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function stripNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\ufffd') as T;
  if (Array.isArray(value)) return value.map(stripNul) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [stripNul(key), stripNul(inner)]),
    ) as T;
  }
  return value;
}

/**
 * PostgreSQL text and jsonb reject NUL characters and jsonb rejects lone UTF-16 surrogates (both can
 * come from Python), so one bad value would wedge a partition forever; they are removed or replaced.
 * Copies only when there is one to remove (the common case allocates nothing).
 */
export function withoutNul<T>(value: T): T {
  return hasNul(value) ? stripNul(value) : value;
}

function parseExtra(text: string): Record<string, unknown> | null {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? withoutNul(parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Validates one decoded event and says which read model it feeds; never throws. */
export function classifyEvent(event: CeleryEvent): ClassifiedEvent {
  if (!UUID.test(event.connectionId)) return { kind: 'bad', reason: 'bad_connection_id' };
  const receivedS = event.receivedAtMs / 1000;
  const ts = event.timestamp;
  if (
    !Number.isFinite(ts) ||
    ts < EARLIEST_EPOCH_S ||
    !Number.isFinite(receivedS) ||
    receivedS < EARLIEST_EPOCH_S ||
    ts > receivedS + MAX_AHEAD_S
  ) {
    return { kind: 'bad', reason: 'absurd_timestamp' };
  }
  const extra = parseExtra(event.extraJson);
  if (extra === null) return { kind: 'bad', reason: 'bad_extra_json' };
  const common: Common = {
    eventId: event.eventId,
    connectionId: event.connectionId,
    hostname: withoutNul(event.hostname),
    timestamp: ts,
    clock: event.clock ?? null,
    pid: event.pid ?? null,
    receivedAtMs: event.receivedAtMs,
    extra,
  };
  const body = event.body;
  const dash = event.type.indexOf('-');
  const group = dash === -1 ? event.type : event.type.slice(0, dash);
  const subject = dash === -1 ? '' : event.type.slice(dash + 1);
  if (group === 'task' && subject !== '') {
    if (body?.$case !== 'task') return { kind: 'bad', reason: 'body_mismatch' };
    if (!body.value.uuid) return { kind: 'bad', reason: 'missing_uuid' };
    if (!fitsInt4(body.value.retries)) return { kind: 'bad', reason: 'out_of_range' };
    return { ...common, kind: 'task', type: event.type, subject, task: withoutNul(body.value) };
  }
  if (group === 'worker') {
    if (!['online', 'heartbeat', 'offline'].includes(subject)) return { kind: 'ignored' };
    if (body?.$case !== 'worker') return { kind: 'bad', reason: 'body_mismatch' };
    if (!fitsInt4(body.value.active)) return { kind: 'bad', reason: 'out_of_range' };
    return { ...common, kind: 'worker', subject, worker: withoutNul(body.value) };
  }
  if (event.type === QUEUES_SNAPSHOT_TYPE) {
    if (body?.$case !== 'queues') return { kind: 'bad', reason: 'body_mismatch' };
    return { ...common, kind: 'queues', queues: withoutNul(body.value) };
  }
  if (event.type === INSPECT_SNAPSHOT_TYPE) {
    if (body?.$case !== 'inspect') return { kind: 'bad', reason: 'body_mismatch' };
    return { ...common, kind: 'inspect', inspect: withoutNul(body.value) };
  }
  return { kind: 'bad', reason: 'unknown_type' };
}
