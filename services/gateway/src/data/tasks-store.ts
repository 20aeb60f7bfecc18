import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { TaskFilter } from '../flower/task-filters';
import { FLOWER_TASK_JSON_SQL } from '../flower/task-json-sql';
import { TASK_COLUMNS, type TaskRow } from '../flower/task-object';
import type { TaskSort } from '../flower/task-sort';
import type { TaskOrder } from '../v1/task-order';
import { budgetedEvents, budgetedPage } from './task-budget-sql';
import { keysetToSql, orderToSql } from './task-keyset-sql';
import { filterToSql, sortToSql } from './task-listing-sql';

export interface TaskEventRow {
  event_id: string;
  type: string;
  hostname: string;
  timestamp: number;
  clock: string | null;
  received_at: Date;
  kafka_partition: number;
  kafka_offset: string;
  fields: Record<string, unknown>;
}

/** Keyset position for /api/v1/tasks: the (sort column value, uuid) of the last item returned. */
export interface TaskCursor {
  value: number | null;
  uuid: string;
}

/**
 * Listing queries come in a bounded set of shapes (filters x sorts), so they run as named prepared
 * statements: PostgreSQL plans each shape once per connection instead of on every request (planning
 * cost more than executing on 1M rows). Search queries have unbounded shapes and stay unnamed.
 */
function statement(text: string, values: unknown[], prepared: boolean): pg.QueryConfig {
  if (!prepared) return { text, values };
  return { name: `gw_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values };
}

/** Default of the listing byte budget (see task-budget-sql.ts and CELERIAC_GATEWAY_TASKS_RESPONSE_BYTES). */
const DEFAULT_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Every task read model query of the gateway (celeriac.tasks, task_types, the task_history view). Listings
 * carry at most `responseBytes` of free-form text whole; past it those fields are cut in SQL.
 */
export function createTasksStore(pool: pg.Pool, options: { responseBytes?: number } = {}) {
  const budget = options.responseBytes ?? DEFAULT_RESPONSE_BYTES;
  return {
    /** Flower's /api/tasks: each row is (uuid, the Flower task object as JSON text). */
    async listJson(connectionId: string, filter: TaskFilter, sort: TaskSort, limit: number, offset: number) {
      const values: unknown[] = [];
      const where = filterToSql(connectionId, filter, values);
      values.push(limit, offset, budget);
      const order = sortToSql(sort);
      const pageSql = `SELECT * FROM celeriac.tasks WHERE ${where.join(' AND ')}
          ORDER BY ${order} LIMIT $${values.length - 2} OFFSET $${values.length - 1}`;
      // JSON is built in the outer query so rows skipped by OFFSET are never serialized.
      const text = `SELECT uuid, ${FLOWER_TASK_JSON_SQL} AS task_json
        FROM ${budgetedPage(pageSql, order, `$${values.length}`)} ORDER BY ${order}`;
      return (await pool.query<{ uuid: string; task_json: string }>(statement(text, values, !filter.search)))
        .rows;
    },

    /** In `order` (ties by uuid the same way); `after` continues strictly past the previous page. */
    async page(
      connectionId: string,
      filter: TaskFilter,
      order: TaskOrder,
      after: TaskCursor | undefined,
      limit: number,
    ) {
      const values: unknown[] = [];
      const where = filterToSql(connectionId, filter, values);
      if (after) where.push(keysetToSql(order, after, values));
      values.push(limit, budget);
      const sql = orderToSql(order);
      const pageSql = `SELECT * FROM celeriac.tasks WHERE ${where.join(' AND ')}
        ORDER BY ${sql} LIMIT $${values.length - 1}`;
      const text = `SELECT ${TASK_COLUMNS} FROM ${budgetedPage(pageSql, sql, `$${values.length}`)} ORDER BY ${sql}`;
      return (await pool.query<TaskRow>(statement(text, values, !filter.search))).rows;
    },

    async get(connectionId: string, uuid: string): Promise<TaskRow | undefined> {
      const { rows } = await pool.query<TaskRow>(
        `SELECT ${TASK_COLUMNS} FROM celeriac.tasks WHERE connection_id = $1 AND uuid = $2`,
        [connectionId, uuid],
      );
      return rows[0];
    },

    async types(connectionId: string): Promise<string[]> {
      const { rows } = await pool.query<{ name: string }>(
        'SELECT name FROM celeriac.task_types WHERE connection_id = $1 ORDER BY name',
        [connectionId],
      );
      return rows.map((row) => row.name);
    },

    async isKnownTaskName(connectionId: string, name: string): Promise<boolean> {
      const { rows } = await pool.query(
        `SELECT 1 FROM celeriac.task_types WHERE connection_id = $1 AND name = $2
         UNION ALL
         SELECT 1 FROM celeriac.workers w, jsonb_array_elements_text(
           CASE WHEN jsonb_typeof(w.inspect->'registered') = 'array' THEN w.inspect->'registered' ELSE '[]'::jsonb END) r
         WHERE w.connection_id = $1 AND split_part(r, ' [', 1) = $2
         LIMIT 1`,
        [connectionId, name],
      );
      return rows.length > 0;
    },

    /** One task's history in log order, `limit` rows after Kafka position `afterOffset`. */
    async events(connectionId: string, uuid: string, afterOffset: bigint | undefined, limit: number) {
      const columns =
        'event_id, type, hostname, "timestamp", clock, received_at, kafka_partition, kafka_offset';
      const pageSql = `SELECT ${columns}, fields
         FROM celeriac.task_history WHERE connection_id = $1 AND task_uuid = $2 AND kafka_offset > $3
         ORDER BY kafka_offset LIMIT $4`;
      const { rows } = await pool.query<TaskEventRow>(
        `SELECT * FROM ${budgetedEvents(pageSql, columns, 'kafka_offset', '$5')} ORDER BY kafka_offset`,
        [connectionId, uuid, (afterOffset ?? -1n).toString(), limit, budget],
      );
      return rows;
    },
  };
}

export type TasksStore = ReturnType<typeof createTasksStore>;
