/**
 * /api/tasks is the hottest read: PostgreSQL builds each Flower task object as JSON text from the same
 * key list as the TypeScript builder (`@celeriac/celery-domain/flower-task`), and the gateway only
 * concatenates. Profiling showed row parsing plus JSON.stringify as a third of the replica's CPU per
 * request.
 */
export { FLOWER_TASK_JSON_SQL } from '@celeriac/celery-domain/flower-task';

/** `{uuid: task, ...}` from rows of (uuid, task_json), in row order. */
export function taskMapFromJsonRows(rows: Array<{ uuid: string; task_json: string }>): string {
  return `{${rows.map((row) => `${JSON.stringify(row.uuid)}:${row.task_json}`).join(',')}}`;
}
