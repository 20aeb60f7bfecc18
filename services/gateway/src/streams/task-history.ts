import type pg from 'pg';
import { budgetedEvents } from '../data/task-budget-sql';
import { type HistoryRow, wsFrameFromRow } from './ws-frames';

/** A task event from PostgreSQL, with the Kafka position the projector recorded for it. */
export interface HistoryEvent {
  readonly partition: number;
  readonly offset: number;
  readonly frame: string;
}

/** SQLSTATE invalid_text_representation: a connection id that is not a uuid has no history. */
const INVALID_TEXT = '22P02';

/** All SQL of the live streams: a task's event history and how far the projector got. */
/**
 * `maxBytes` bounds the history of one task read into memory for a late subscriber: events are
 * whole while their fields fit, after that their long values (results, tracebacks) are cut in SQL.
 */
export function createTaskHistory(pool: pg.Pool, topic: string, maxEvents: number, maxBytes: number) {
  return {
    /**
     * Next offset the projector will apply, per partition of the events topic. Read BEFORE the
     * history rows, so the rows read afterwards contain at least everything below these offsets.
     */
    async projectedUpTo(): Promise<Map<number, number>> {
      const result = await pool.query<{ kafka_partition: number; next_offset: string }>(
        'SELECT kafka_partition, max(next_offset) AS next_offset FROM celeriac.projector_offsets WHERE topic = $1 GROUP BY kafka_partition',
        [topic],
      );
      return new Map(result.rows.map((row) => [row.kafka_partition, Number(row.next_offset)]));
    },

    /** Oldest first, at most `maxEvents` (a task has a handful; the bound guards against abuse). */
    async taskEvents(connectionId: string, taskUuid: string): Promise<HistoryEvent[]> {
      try {
        const columns = 'type, task_uuid, "timestamp", received_at, kafka_partition, kafka_offset';
        const order = 'kafka_partition, kafka_offset';
        const pageSql = `SELECT ${columns}, fields FROM celeriac.task_events
            WHERE connection_id = $1 AND task_uuid = $2 ORDER BY ${order} LIMIT $3`;
        const result = await pool.query<HistoryRow & { kafka_partition: number; kafka_offset: string }>(
          `SELECT * FROM ${budgetedEvents(pageSql, columns, order, '$4')} ORDER BY ${order}`,
          [connectionId, taskUuid, maxEvents, maxBytes],
        );
        return result.rows.map((row) => ({
          partition: row.kafka_partition,
          offset: Number(row.kafka_offset),
          frame: wsFrameFromRow(row),
        }));
      } catch (error) {
        if ((error as { code?: string }).code === INVALID_TEXT) return [];
        throw error;
      }
    },
  };
}

export type TaskHistory = ReturnType<typeof createTaskHistory>;
