import type { TaskOrder } from '../v1/task-order';
import type { TaskCursor } from './tasks-store';

/**
 * ORDER BY and keyset condition of /api/v1/tasks. Descending puts tasks without a value last and
 * ascending puts them first, the order the (connection_id, column DESC NULLS LAST) indexes give read
 * forwards or backwards; ties go by uuid in the same direction, so (value, uuid) is a total order and a
 * page walk never repeats or skips a task.
 */
export function orderToSql(order: TaskOrder): string {
  const column = `"${order.column}"`;
  return order.descending ? `${column} DESC NULLS LAST, uuid DESC` : `${column} ASC NULLS FIRST, uuid ASC`;
}

/** Rows strictly after `after` in `order`; pushes its bind parameters onto `values`. */
export function keysetToSql(order: TaskOrder, after: TaskCursor, values: unknown[]): string {
  const column = `"${order.column}"`;
  values.push(after.uuid);
  const uuid = `$${values.length}`;
  if (order.descending) {
    if (after.value === null) return `(${column} IS NULL AND uuid < ${uuid})`;
    values.push(after.value);
    const at = `$${values.length}`;
    return `(${column} < ${at} OR (${column} = ${at} AND uuid < ${uuid}) OR ${column} IS NULL)`;
  }
  if (after.value === null) return `((${column} IS NULL AND uuid > ${uuid}) OR ${column} IS NOT NULL)`;
  values.push(after.value);
  const at = `$${values.length}`;
  return `(${column} > ${at} OR (${column} = ${at} AND uuid > ${uuid}))`;
}
