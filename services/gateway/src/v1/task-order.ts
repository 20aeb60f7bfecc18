import { BadRequestError } from '../errors';

/**
 * Sort orders of /api/v1/tasks. Only numeric time-like columns with a (connection_id, column) index are
 * offered, so every order over millions of tasks is one index range and the keyset cursor is the pair
 * (value, uuid). `timestamp` is the time of the last state change (the default, newest first).
 */
export type OrderColumn = 'timestamp' | 'received' | 'started' | 'runtime';

export interface TaskOrder {
  column: OrderColumn;
  descending: boolean;
}

const COLUMNS = new Set<string>(['timestamp', 'received', 'started', 'runtime']);

export const DEFAULT_ORDER: TaskOrder = { column: 'timestamp', descending: true };

/** `sort` is a column with an optional leading '-' for descending (same convention as Flower's sort_by). */
export function parseOrder(value: string | undefined): TaskOrder {
  if (value === undefined || value === '') return DEFAULT_ORDER;
  const descending = value.startsWith('-');
  const column = descending ? value.slice(1) : value;
  if (value.length > 16 || !COLUMNS.has(column)) {
    throw new BadRequestError(
      "Invalid sort: use timestamp, received, started or runtime, optionally prefixed by '-' for descending",
    );
  }
  return { column: column as OrderColumn, descending };
}

export function orderName(order: TaskOrder): string {
  return `${order.descending ? '-' : ''}${order.column}`;
}
