import type pg from 'pg';
import { TASK_COLUMNS, type TaskRow } from '../flower/task-object';

export type TaskAction = 'revoke' | 'terminate' | 'rerun';

export interface TaskActionRow {
  action: TaskAction;
  key_name: string | null;
  at: Date;
  new_task_id: string | null;
}

/** Tasks one workflow view lists at most; one more is read to tell that it was cut. */
export const WORKFLOW_LIMIT = 1_000;
const ACTIONS_LIMIT = 200;

/** celeriac.task_actions (who sent which command for a task) and the workflow tree of a task. */
export function createTaskActionsStore(pool: pg.Pool) {
  return {
    async record(entry: {
      connectionId: string;
      taskId: string;
      action: TaskAction;
      keyId: string | null;
      keyName: string | null;
      newTaskId?: string;
    }): Promise<void> {
      await pool.query(
        `INSERT INTO celeriac.task_actions (connection_id, task_id, action, key_id, key_name, new_task_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [entry.connectionId, entry.taskId, entry.action, entry.keyId, entry.keyName, entry.newTaskId ?? null],
      );
    },

    async list(connectionId: string, taskId: string): Promise<TaskActionRow[]> {
      const { rows } = await pool.query<TaskActionRow>(
        `SELECT action, key_name, at, new_task_id FROM celeriac.task_actions
         WHERE connection_id = $1 AND task_id = $2 ORDER BY at DESC, action_id DESC LIMIT ${ACTIONS_LIMIT}`,
        [connectionId, taskId],
      );
      return rows;
    },

    /** The task a re-run replaced, if `taskId` was sent as one. */
    async rerunOf(connectionId: string, taskId: string): Promise<string | null> {
      const { rows } = await pool.query<{ task_id: string }>(
        `SELECT task_id FROM celeriac.task_actions
         WHERE connection_id = $1 AND new_task_id = $2 AND action = 'rerun' LIMIT 1`,
        [connectionId, taskId],
      );
      return rows[0]?.task_id ?? null;
    },

    /** What a re-run copies: the task's name, arguments and routing (queue is not a listing column). */
    async rerunSource(connectionId: string, taskId: string) {
      const { rows } = await pool.query<{
        name: string | null;
        state: string;
        args: string | null;
        kwargs: string | null;
        queue: string | null;
        exchange: string | null;
        routing_key: string | null;
      }>(
        `SELECT name, state, args, kwargs, queue, exchange, routing_key FROM celeriac.tasks
         WHERE connection_id = $1 AND uuid = $2`,
        [connectionId, taskId],
      );
      return rows[0];
    },

    /** Every task of one root (the root included), oldest first, at most WORKFLOW_LIMIT + 1 rows. */
    async workflow(connectionId: string, rootId: string): Promise<TaskRow[]> {
      const { rows } = await pool.query<TaskRow>(
        `SELECT ${TASK_COLUMNS} FROM celeriac.tasks
         WHERE connection_id = $1 AND (root_id = $2 OR uuid = $2)
         ORDER BY coalesce(received, sent, "timestamp") NULLS LAST, uuid LIMIT ${WORKFLOW_LIMIT + 1}`,
        [connectionId, rootId],
      );
      return rows;
    },
  };
}

export type TaskActionsStore = ReturnType<typeof createTaskActionsStore>;
