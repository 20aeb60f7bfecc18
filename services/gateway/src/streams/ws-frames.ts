import type { CeleryEvent, TaskEvent } from '@celeriac/proto/events';

/**
 * wscelery frames: the Celery event dict of a task event, minus the keys wscelery leaves out.
 * Frames from the live tail and from PostgreSQL history are built by the same function, so a
 * late subscriber cannot tell which source a frame came from.
 */

const EXCLUDED = new Set(['hostname', 'pid', 'queue', 'exchange', 'args', 'kwargs']);

/** Celery's wire names of the typed TaskEvent fields. */
const TASK_FIELD_NAMES: ReadonlyArray<[keyof TaskEvent, string]> = [
  ['uuid', 'uuid'],
  ['name', 'name'],
  ['args', 'args'],
  ['kwargs', 'kwargs'],
  ['retries', 'retries'],
  ['eta', 'eta'],
  ['expires', 'expires'],
  ['rootId', 'root_id'],
  ['parentId', 'parent_id'],
  ['queue', 'queue'],
  ['exchange', 'exchange'],
  ['routingKey', 'routing_key'],
  ['result', 'result'],
  ['runtime', 'runtime'],
  ['exception', 'exception'],
  ['traceback', 'traceback'],
  ['requeue', 'requeue'],
  ['terminated', 'terminated'],
  ['signum', 'signum'],
  ['expired', 'expired'],
];

function parseExtra(text: string): Record<string, unknown> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    // The collector writes valid JSON; a bad value must still not break the stream.
    return {};
  }
}

/** The event as Celery's dict: extra fields first so typed fields win on a clash. */
export function celeryTaskFields(event: CeleryEvent, task: TaskEvent): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...parseExtra(event.extraJson) };
  for (const [key, wire] of TASK_FIELD_NAMES) {
    const value = task[key];
    if (value !== undefined) fields[wire] = value;
  }
  fields.type = event.type;
  fields.hostname = event.hostname;
  fields.timestamp = event.timestamp;
  if (event.utcoffset !== undefined) fields.utcoffset = event.utcoffset;
  if (event.pid !== undefined) fields.pid = event.pid;
  if (event.clock !== undefined) fields.clock = event.clock;
  return fields;
}

/** `local_received` is when Celeriac's collector got the event (Celery's receiver sets it the same way). */
export function wsFrame(fields: Record<string, unknown>, receivedAtMs: number): string {
  const frame: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (!EXCLUDED.has(key)) frame[key] = value;
  frame.local_received = receivedAtMs / 1000;
  return JSON.stringify(frame);
}

export interface HistoryRow {
  readonly type: string;
  readonly task_uuid: string;
  readonly timestamp: number;
  readonly received_at: Date;
  readonly fields: Record<string, unknown> | null;
}

/** A celeriac.task_events row as the projector stores it (fields = Celery's dict). */
export function wsFrameFromRow(row: HistoryRow): string {
  const fields = { ...(row.fields ?? {}), type: row.type, uuid: row.task_uuid, timestamp: row.timestamp };
  return wsFrame(fields, row.received_at.getTime());
}
