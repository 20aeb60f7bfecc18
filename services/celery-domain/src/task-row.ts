import type { TaskEvent } from '@celeriac/proto/events';
import { emptyTimes, type TaskTimes } from './task-resolver';

/** One row of celeriac.tasks, as the projector folds it. Times are Celery epoch seconds. */
/**
 * One task as the resolver folds it (a row of celeriac.tasks in the projector). Times are Celery
 * epoch seconds; the per-subject times and the custom state come from TaskTimes.
 */
export interface TaskRow extends TaskTimes {
  connectionId: string;
  uuid: string;
  name: string | null;
  state: string;
  timestamp: number | null;
  args: string | null;
  kwargs: string | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker: string | null;
  client: string | null;
  runtime: number | null;
  exchange: string | null;
  routingKey: string | null;
  queue: string | null;
  rootId: string | null;
  parentId: string | null;
  children: string[];
  clock: number | null;
  extra: Record<string, unknown>;
  /** Time of the newest event folded in; orders `clock` and `extra`. */
  lastTs: number | null;
}

/** What evolveTask needs of one task-* event. */
export interface TaskEventInput {
  subject: string;
  timestamp: number;
  clock: number | null;
  hostname: string;
  task: TaskEvent;
  /** Fields Celery sent beyond the typed ones (custom progress data, requeue, signum...). */
  extra: Record<string, unknown>;
}

export function emptyTask(connectionId: string, uuid: string): TaskRow {
  return {
    connectionId,
    uuid,
    name: null,
    state: 'PENDING',
    ...emptyTimes(),
    timestamp: null,
    args: null,
    kwargs: null,
    result: null,
    exception: null,
    traceback: null,
    eta: null,
    expires: null,
    retries: null,
    worker: null,
    client: null,
    runtime: null,
    exchange: null,
    routingKey: null,
    queue: null,
    rootId: null,
    parentId: null,
    children: [],
    clock: null,
    extra: {},
    lastTs: null,
  };
}
