import { FLOWER_TASK_COLUMNS_SQL, flowerTaskObject } from '@celeriac/celery-domain/flower-task';

/** A row of celeriac.tasks as the data layer returns it (double precision arrives as number). */
export interface TaskRow {
  uuid: string;
  name: string | null;
  state: string;
  received: number | null;
  sent: number | null;
  started: number | null;
  rejected: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker: string | null;
  result: string | null;
  exception: string | null;
  timestamp: number | null;
  runtime: number | null;
  traceback: string | null;
  exchange: string | null;
  routing_key: string | null;
  clock: string | number | null;
  client: string | null;
  root_id: string | null;
  parent_id: string | null;
  children: string[] | null;
}

/** The columns a TaskRow needs, in SQL: those of Flower's task object (one key list, in celery-domain). */
export const TASK_COLUMNS = FLOWER_TASK_COLUMNS_SQL;

/**
 * Celery's Task.as_dict key order, which Flower clients see. `withNullWorker` is false for /api/tasks
 * (Flower leaves the key out for tasks no worker has seen) and true for /api/task/info (null).
 */
export function flowerTask(row: TaskRow, withNullWorker: boolean): Record<string, unknown> {
  return flowerTaskObject(row as unknown as Record<string, unknown>, withNullWorker);
}
