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

/** The columns a TaskRow needs, in SQL; kept next to the type so they never drift apart. */
export const TASK_COLUMNS =
  'uuid, name, state, received, sent, started, rejected, succeeded, failed, retried, revoked, args, kwargs, ' +
  'eta, expires, retries, worker, result, exception, "timestamp", runtime, traceback, exchange, routing_key, ' +
  'clock, client, root_id, parent_id, children';

/**
 * Celery's Task.as_dict key order, which Flower clients see. `withNullWorker` is false for /api/tasks
 * (Flower leaves the key out for tasks no worker has seen) and true for /api/task/info (null).
 */
export function flowerTask(row: TaskRow, withNullWorker: boolean): Record<string, unknown> {
  const task: Record<string, unknown> = {
    uuid: row.uuid,
    name: row.name,
    state: row.state,
    received: row.received,
    sent: row.sent,
    started: row.started,
    rejected: row.rejected,
    succeeded: row.succeeded,
    failed: row.failed,
    retried: row.retried,
    revoked: row.revoked,
    args: row.args,
    kwargs: row.kwargs,
    eta: row.eta,
    expires: row.expires,
    retries: row.retries,
  };
  if (row.worker !== null || withNullWorker) task.worker = row.worker;
  Object.assign(task, {
    result: row.result,
    exception: row.exception,
    timestamp: row.timestamp,
    runtime: row.runtime,
    traceback: row.traceback,
    exchange: row.exchange,
    routing_key: row.routing_key,
    clock: row.clock === null ? null : Number(row.clock),
    client: row.client,
    root: row.root_id,
    root_id: row.root_id,
    parent: row.parent_id,
    parent_id: row.parent_id,
    children: row.children ?? [],
  });
  return task;
}
