import type pg from 'pg';
import { budgetedEvents } from './task-budget-sql';

/** A task event as the schema's celeriac.task_history view gives it (fields = Celery's dict). */
export interface TaskHistoryRow {
  readonly type: string;
  readonly task_uuid: string;
  readonly timestamp: number;
  readonly received_at: Date;
  readonly fields: Record<string, unknown> | null;
  readonly kafka_partition: number;
  readonly kafka_offset: string;
}

/** SQLSTATE invalid_text_representation: a connection id that is not a uuid has no history. */
const INVALID_TEXT = '22P02';

/**
 * What the live streams read of the projection: a task's event history and how far the projector
 * got, through the views of migration 0010 (never the projector's own tables). `maxBytes` bounds the
 * history of one task read into memory: events are whole while their fields fit, after that their
 * long values (results, tracebacks) are cut in SQL.
 */
export function createTaskHistoryStore(pool: pg.Pool, topic: string, maxEvents: number, maxBytes: number) {
  return {
    /**
     * Next offset the projector will apply, per partition of the events topic. Read BEFORE the
     * history rows, so the rows read afterwards contain at least everything below these offsets.
     */
    async projectedUpTo(): Promise<Map<number, number>> {
      const result = await pool.query<{ kafka_partition: number; next_offset: string }>(
        'SELECT kafka_partition, next_offset FROM celeriac.projected_positions WHERE topic = $1',
        [topic],
      );
      return new Map(result.rows.map((row) => [row.kafka_partition, Number(row.next_offset)]));
    },

    /** Oldest first, at most `maxEvents` (a task has a handful; the bound guards against abuse). */
    async taskEvents(connectionId: string, taskUuid: string): Promise<TaskHistoryRow[]> {
      try {
        const columns = 'type, task_uuid, "timestamp", received_at, kafka_partition, kafka_offset';
        const order = 'kafka_partition, kafka_offset';
        const pageSql = `SELECT ${columns}, fields FROM celeriac.task_history
            WHERE connection_id = $1 AND task_uuid = $2 ORDER BY ${order} LIMIT $3`;
        const result = await pool.query<TaskHistoryRow>(
          `SELECT * FROM ${budgetedEvents(pageSql, columns, order, '$4')} ORDER BY ${order}`,
          [connectionId, taskUuid, maxEvents, maxBytes],
        );
        return result.rows;
      } catch (error) {
        if ((error as { code?: string }).code === INVALID_TEXT) return [];
        throw error;
      }
    },
  };
}

export type TaskHistoryStore = ReturnType<typeof createTaskHistoryStore>;
