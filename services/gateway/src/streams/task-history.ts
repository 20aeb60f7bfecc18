import type { TaskHistoryStore } from '../data/task-history-store';
import { wsFrameFromRow } from './ws-frames';

/** A task event from PostgreSQL, with the Kafka position the projector recorded for it. */
export interface HistoryEvent {
  readonly partition: number;
  readonly offset: number;
  readonly frame: string;
}

/** The history a late WebSocket subscriber needs, as wscelery frames (the SQL is in data/). */
export function createTaskHistory(store: TaskHistoryStore) {
  return {
    projectedUpTo: () => store.projectedUpTo(),
    async taskEvents(connectionId: string, taskUuid: string): Promise<HistoryEvent[]> {
      return (await store.taskEvents(connectionId, taskUuid)).map((row) => ({
        partition: row.kafka_partition,
        offset: Number(row.kafka_offset),
        frame: wsFrameFromRow(row),
      }));
    },
  };
}

export type TaskHistory = ReturnType<typeof createTaskHistory>;
