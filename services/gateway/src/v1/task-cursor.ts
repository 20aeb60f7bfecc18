import type { TaskCursor } from '../data/tasks-store';
import { BadRequestError } from '../errors';
import type { TaskRow } from '../flower/task-object';
import { DEFAULT_ORDER, orderName, type TaskOrder } from './task-order';

/**
 * Opaque to clients: base64url of [sort, value, uuid] of the last item of the previous page. The sort is
 * kept so a cursor from one order is refused under another instead of silently skipping rows.
 */
export function encodeCursor(row: TaskRow, order: TaskOrder): string {
  const value = row[order.column] ?? null;
  return Buffer.from(JSON.stringify([orderName(order), value, row.uuid])).toString('base64url');
}

export function decodeCursor(value: string | undefined, order: TaskOrder): TaskCursor | undefined {
  if (value === undefined || value === '') return undefined;
  const invalid = () => new BadRequestError('Invalid cursor: pass back the nextCursor of a previous page');
  if (value.length > 1024) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || parsed.length > 3) throw invalid();
  // Two items: a cursor from before sorting existed, always newest first by timestamp.
  const [sort, position, uuid] = parsed.length === 2 ? [orderName(DEFAULT_ORDER), ...parsed] : parsed;
  if (
    (position !== null && (typeof position !== 'number' || !Number.isFinite(position))) ||
    typeof uuid !== 'string' ||
    typeof sort !== 'string'
  ) {
    throw invalid();
  }
  if (sort !== orderName(order)) {
    throw new BadRequestError(
      `Cursor belongs to sort '${sort.slice(0, 16)}', not '${orderName(order)}': start again without a cursor`,
    );
  }
  return { value: position as number | null, uuid };
}
