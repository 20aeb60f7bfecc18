import type { TaskEvent } from '@celeriac/proto/events';

/** One row of celeriac.tasks, as the projector folds it. Times are Celery epoch seconds. */
export interface TaskRow {
  connectionId: string;
  uuid: string;
  name: string | null;
  state: string;
  sent: number | null;
  received: number | null;
  started: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  rejected: number | null;
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
  /** Latest custom state (upper-cased subject of e.g. task-progress) and its time. */
  customState: string | null;
  customTs: number | null;
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

export const KNOWN_SUBJECTS = [
  'sent',
  'received',
  'started',
  'succeeded',
  'failed',
  'retried',
  'revoked',
  'rejected',
] as const;
export type KnownSubject = (typeof KNOWN_SUBJECTS)[number];

export function isKnownSubject(subject: string): subject is KnownSubject {
  return (KNOWN_SUBJECTS as readonly string[]).includes(subject);
}

export function emptyTask(connectionId: string, uuid: string): TaskRow {
  return {
    connectionId,
    uuid,
    name: null,
    state: 'PENDING',
    sent: null,
    received: null,
    started: null,
    succeeded: null,
    failed: null,
    retried: null,
    revoked: null,
    rejected: null,
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
    customState: null,
    customTs: null,
    lastTs: null,
  };
}
