import { restoreCeleryObject } from '@celeriac/celery-domain/normalize';
import type { CeleryEvent } from '@celeriac/proto/events';

/**
 * wscelery frames: the Celery event dict of a task event, minus the keys wscelery leaves out.
 * Frames from the live tail and from PostgreSQL history are built by the same function, so a
 * late subscriber cannot tell which source a frame came from.
 */

const EXCLUDED = new Set(['hostname', 'pid', 'queue', 'exchange', 'args', 'kwargs']);

/**
 * The event as Celery's dict, rebuilt by the same function the projector uses for the history rows,
 * so live and historical frames are identical. Extra fields that are not valid JSON are dropped
 * rather than failing the stream.
 */
export function celeryTaskFields(event: CeleryEvent): Record<string, unknown> {
  try {
    return restoreCeleryObject(event);
  } catch {
    return restoreCeleryObject({ ...event, extraJson: '{}' });
  }
}

/** `local_received` is when Celeriac's collector got the event (Celery's receiver sets it the same way). */
export function wsFrame(fields: Record<string, unknown>, receivedAtMs: number): string {
  // Field names come from the broker: a null-prototype object keeps `__proto__` an ordinary field.
  const frame: Record<string, unknown> = Object.create(null);
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
