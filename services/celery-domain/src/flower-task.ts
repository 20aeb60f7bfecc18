/**
 * Flower's task object: the 31 keys of Celery's `Task.as_dict`, in that order, each with the
 * celeriac.tasks column it comes from. The gateway builds the object from this one list, in
 * TypeScript (`flowerTaskObject`) and in SQL (`flowerTaskJsonSql`, for the hot `/api/tasks` list).
 * `root`/`parent` mirror `root_id`/`parent_id`, as Flower's do.
 */
export const FLOWER_TASK_KEYS: readonly (readonly [key: string, column: string])[] = [
  ['uuid', 'uuid'],
  ['name', 'name'],
  ['state', 'state'],
  ['received', 'received'],
  ['sent', 'sent'],
  ['started', 'started'],
  ['rejected', 'rejected'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['retried', 'retried'],
  ['revoked', 'revoked'],
  ['args', 'args'],
  ['kwargs', 'kwargs'],
  ['eta', 'eta'],
  ['expires', 'expires'],
  ['retries', 'retries'],
  // Left out of /api/tasks while no worker has seen the task, as Flower does.
  ['worker', 'worker'],
  ['result', 'result'],
  ['exception', 'exception'],
  ['timestamp', 'timestamp'],
  ['runtime', 'runtime'],
  ['traceback', 'traceback'],
  ['exchange', 'exchange'],
  ['routing_key', 'routing_key'],
  ['clock', 'clock'],
  ['client', 'client'],
  ['root', 'root_id'],
  ['root_id', 'root_id'],
  ['parent', 'parent_id'],
  ['parent_id', 'parent_id'],
  ['children', 'children'],
];

/** A column name as SQL text: `timestamp` is a keyword. */
const sqlColumn = (column: string): string => (column === 'timestamp' ? '"timestamp"' : column);

/** The columns the object needs, each once, in key order, as a SELECT list. */
export const FLOWER_TASK_COLUMNS_SQL = [...new Set(FLOWER_TASK_KEYS.map(([, column]) => column))]
  .map(sqlColumn)
  .join(', ');

/**
 * The object from a row keyed by column name (as `pg` returns it: bigint `clock` arrives as text,
 * and becomes a number as in the SQL form). `withNullWorker` keeps `worker: null` (Flower's
 * /api/task/info); without it the key is left out when no worker is known (/api/tasks).
 */
export function flowerTaskObject(
  row: Readonly<Record<string, unknown>>,
  withNullWorker: boolean,
): Record<string, unknown> {
  const task: Record<string, unknown> = {};
  for (const [key, column] of FLOWER_TASK_KEYS) {
    const value = row[column] ?? null;
    if (key === 'worker' && value === null && !withNullWorker) continue;
    if (key === 'clock') task[key] = value === null ? null : Number(value);
    else if (key === 'children') task[key] = value ?? [];
    else task[key] = value;
  }
  return task;
}

function jsonBuildObject(withWorker: boolean): string {
  const pairs = FLOWER_TASK_KEYS.filter(([key]) => withWorker || key !== 'worker').map(
    ([key, column]) => `'${key}', ${sqlColumn(column)}`,
  );
  // json_build_object keeps argument order and takes at most 100 arguments; 31 pairs = 62.
  return `json_build_object(${pairs.join(', ')})`;
}

/**
 * The same object as JSON text, built by PostgreSQL from a celeriac.tasks row: the gateway then only
 * concatenates rows, which saves parsing and re-serializing every column of the hottest read.
 */
export const FLOWER_TASK_JSON_SQL = `(CASE WHEN worker IS NULL THEN ${jsonBuildObject(false)} ELSE ${jsonBuildObject(true)} END)::text`;
