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
