import { BadRequestError } from '../errors';

export type SortField = 'name' | 'state' | 'received' | 'started' | 'timestamp';

export interface TaskSort {
  field: SortField;
  descending: boolean;
}

const SORTABLE = new Set<string>(['name', 'state', 'received', 'started']);

/** Flower's default is newest first by the last state change, ties by uuid. */
export const DEFAULT_SORT: TaskSort = { field: 'timestamp', descending: true };

/** `sort_by` is one of name/state/received/started with an optional leading '-' (Flower 500s otherwise). */
export function parseSortBy(value: string | undefined): TaskSort {
  if (value === undefined || value === '') return DEFAULT_SORT;
  const descending = value.startsWith('-');
  const field = descending ? value.slice(1) : value;
  if (!SORTABLE.has(field)) {
    throw new BadRequestError(
      `Invalid sort_by '${value}': use name, state, received or started, optionally prefixed by '-'`,
    );
  }
  return { field: field as SortField, descending };
}

/**
 * Times: missing values first ascending and last descending, ties by uuid in the same direction
 * (Flower 2.1). Names and states tie-break by received (newest first ascending) then uuid, and a task
 * without a name sorts last ascending: that is exactly the order of the (connection, name|state,
 * received) indexes, read forwards or backwards, so sorting a large history needs no sort step.
 */
export function sortToSql(sort: TaskSort): string {
  if (sort.field === 'name' || sort.field === 'state') {
    return sort.descending
      ? `${sort.field} DESC NULLS FIRST, received ASC NULLS FIRST, uuid ASC`
      : `${sort.field} ASC NULLS LAST, received DESC NULLS LAST, uuid DESC`;
  }
  const column = sort.field === 'timestamp' ? '"timestamp"' : sort.field;
  return sort.descending ? `${column} DESC NULLS LAST, uuid DESC` : `${column} ASC NULLS FIRST, uuid ASC`;
}
