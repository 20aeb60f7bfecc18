import type { SearchNode } from '../flower/search-parser';
import type { TaskFilter } from '../flower/task-filters';
import type { TaskSort } from '../flower/task-sort';

/**
 * The WHERE and ORDER BY of the task listings (/api/tasks and /api/v1/tasks) over celeriac.tasks,
 * compiled from the filters and sort the routes parsed. Values only ever travel as bind parameters.
 */

/** Escapes LIKE wildcards so user text matches literally (ESCAPE '\'). */
export function likeLiteral(value: string): string {
  return `%${value.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, (char) => `\\${char}`);
}

const ANY_FIELD = ['uuid', 'name', 'state', 'worker', 'args', 'kwargs', 'result'];

/**
 * Compiles a parsed search into a SQL boolean expression over celeriac.tasks, pushing values onto
 * `values` as bind parameters (never interpolated). Matching is case-insensitive substring, except
 * `state:` (exact) and `kwargs:key=value`, which matches that pair in the worker's repr of the kwargs.
 */
export function searchToSql(node: SearchNode, values: unknown[]): string {
  const bind = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (node.kind !== 'term') {
    const joiner = node.kind === 'and' ? ' AND ' : ' OR ';
    return `(${node.children.map((child) => searchToSql(child, values)).join(joiner)})`;
  }
  if (node.field === 'state') return `state = ${bind(node.value.toUpperCase())}`;
  if (node.field === 'kwargs' && node.value.includes('=')) {
    const separator = node.value.indexOf('=');
    const key = regexLiteral(node.value.slice(0, separator));
    const value = regexLiteral(node.value.slice(separator + 1));
    return `kwargs ~* ${bind(`['"]${key}['"]: ['"]?${value}['"]?[,}]`)}`;
  }
  const pattern = bind(likeLiteral(node.value));
  const columns = node.field === null ? ANY_FIELD : [node.field];
  const tests = columns.map((column) => `${column} ILIKE ${pattern}`);
  return tests.length === 1 ? (tests[0] as string) : `(${tests.join(' OR ')})`;
}

/** SQL conditions for a filter; `values` receives the bind parameters. */
export function filterToSql(connectionId: string, filter: TaskFilter, values: unknown[]): string[] {
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`connection_id = ${bind(connectionId)}`];
  if (filter.workername !== undefined) where.push(`worker = ${bind(filter.workername)}`);
  if (filter.taskname !== undefined) where.push(`name = ${bind(filter.taskname)}`);
  if (filter.state !== undefined) where.push(`state = ${bind(filter.state)}`);
  if (filter.queue !== undefined) where.push(`queue = ${bind(filter.queue)}`);
  // Flower keeps tasks without a `received` time in any range (every queued task matches every range);
  // Celeriac leaves them out, which is what a range means and lets the received index serve it.
  if (filter.receivedStart !== undefined) where.push(`received >= ${bind(filter.receivedStart)}`);
  if (filter.receivedEnd !== undefined) where.push(`received <= ${bind(filter.receivedEnd)}`);
  if (filter.search) where.push(searchToSql(filter.search, values));
  return where;
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
