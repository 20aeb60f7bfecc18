import { TASK_COLUMNS } from '../flower/task-object';

/**
 * Byte budget of a task listing. The five free-form columns hold whatever the client and the worker
 * put there (a result repr can be megabytes); every other column is short and bounded at ingest.
 * Rows are served whole, in page order, while the running total of those columns fits the budget;
 * after that each of them is cut to its first CUT_CHARS characters plus a note with its real size.
 * PostgreSQL does the cutting, so oversized values never reach the gateway's memory.
 */
export const FREE_FORM_COLUMNS = ['args', 'kwargs', 'result', 'exception', 'traceback'] as const;
export const CUT_CHARS = 1_000;

const size = (column: string) => `coalesce(octet_length(${column}), 0)`;

function cutColumn(column: string): string {
  return `CASE WHEN over_budget AND octet_length(${column}) > ${CUT_CHARS * 4}
    THEN left(${column}, ${CUT_CHARS}) || ' ... [truncated by Celeriac: ' || octet_length(${column}) || ' bytes]'
    ELSE ${column} END AS ${column}`;
}

/** TASK_COLUMNS with the free-form ones cut when the row is over budget. */
const BUDGETED_COLUMNS = TASK_COLUMNS.split(',')
  .map((column) => column.trim())
  .map((column) => ((FREE_FORM_COLUMNS as readonly string[]).includes(column) ? cutColumn(column) : column))
  .join(', ');

/**
 * Wraps `pageSql` (a `SELECT * FROM celeriac.tasks ... ORDER BY <order> LIMIT ...`) so its rows carry
 * TASK_COLUMNS within `budgetParam` bytes of free-form text; select from the result as `page`.
 * `order` must be a total order (it ends with uuid), so the running total is deterministic.
 */
export function budgetedPage(pageSql: string, order: string, budgetParam: string): string {
  const freeForm = FREE_FORM_COLUMNS.map(size).join(' + ');
  return `(SELECT ${BUDGETED_COLUMNS} FROM (
      SELECT *, sum(${freeForm}) OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING) > ${budgetParam} AS over_budget
      FROM (${pageSql}) AS unsized
    ) AS sized) AS page`;
}

/** A JSON object with each string value longer than CUT_CHARS * 4 bytes cut like a free-form column. */
function cutJsonStrings(column: string): string {
  const text = `value #>> '{}'`;
  return `CASE WHEN jsonb_typeof(${column}) = 'object' THEN coalesce((
      SELECT jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'string' AND octet_length(${text}) > ${CUT_CHARS * 4}
        THEN to_jsonb(left(${text}, ${CUT_CHARS}) || ' ... [truncated by Celeriac: ' || octet_length(${text}) || ' bytes]')
        ELSE value END)
      FROM jsonb_each(${column})), '{}'::jsonb) ELSE ${column} END`;
}

/**
 * The same budget for task event rows (`columns` then `fields` jsonb): events are whole while the
 * running size of their fields fits `budgetParam`; after that their long string values are cut.
 */
export function budgetedEvents(pageSql: string, columns: string, order: string, budgetParam: string): string {
  return `(SELECT ${columns}, CASE WHEN over_budget THEN ${cutJsonStrings('fields')} ELSE fields END AS fields FROM (
      SELECT *, sum(octet_length(fields::text)) OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING) > ${budgetParam} AS over_budget
      FROM (${pageSql}) AS unsized
    ) AS sized) AS page`;
}
