import type { TaskCursor } from '../data/tasks-store';
import { BadRequestError } from '../errors';
import type { TaskRow } from '../flower/task-object';

/** Opaque to clients: base64url of [timestamp, uuid] of the last item of the previous page. */
export function encodeCursor(row: Pick<TaskRow, 'timestamp' | 'uuid'>): string {
  return Buffer.from(JSON.stringify([row.timestamp, row.uuid])).toString('base64url');
}

export function decodeCursor(value: string | undefined): TaskCursor | undefined {
  if (value === undefined || value === '') return undefined;
  const invalid = () => new BadRequestError('Invalid cursor: pass back the nextCursor of a previous page');
  if (value.length > 1024) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [timestamp, uuid] = parsed as [unknown, unknown];
  if (
    (timestamp !== null && (typeof timestamp !== 'number' || !Number.isFinite(timestamp))) ||
    typeof uuid !== 'string'
  ) {
    throw invalid();
  }
  return { timestamp, uuid };
}
