import { recordTime, resolveState } from './task-resolver';
import type { TaskEventInput, TaskRow } from './task-row';

const newest = (...times: (number | null)[]): number | null =>
  times.reduce<number | null>(
    (max, time) => (time !== null && (max === null || time > max) ? time : max),
    null,
  );

/** A field is replaced by a value from an event at least as new as the one it came from, or fills a gap. */
function pick<T>(current: T | null, incoming: T | undefined, isNewer: boolean): T | null {
  if (incoming === undefined || incoming === null) return current;
  return current === null || isNewer ? incoming : current;
}

/**
 * Folds one task event into a task row. Pure and order-independent: every field keeps the value of
 * the newest event (by Celery timestamp) that carried it, per-subject times keep their maximum, and
 * the state is derived from those times with Celery's precedence (task-resolver.ts). Replaying an
 * event changes nothing, and any delivery order of the same events yields the same row.
 *
 * Deliberate difference from celery.events.state: Celery lets a late non-RECEIVED event overwrite
 * `timestamp` and `clock` with older values (an arrival-order quirk); here `timestamp` is always
 * the time of the event that set the state and `clock` that of the newest event.
 */
export function evolveTask(row: TaskRow, event: TaskEventInput): TaskRow {
  const { subject, timestamp: t, task } = event;
  const next: TaskRow = { ...row };
  const sentOrReceived = subject === 'sent' || subject === 'received';

  if (sentOrReceived) {
    // The RECEIVED merge whitelist and task-sent's fields: the newest sent/received event wins.
    const newer = t >= (newest(row.sent, row.received) ?? Number.NEGATIVE_INFINITY);
    next.name = pick(row.name, task.name, newer);
    next.args = pick(row.args, task.args, newer);
    next.kwargs = pick(row.kwargs, task.kwargs, newer);
    next.retries = pick(row.retries, task.retries, newer);
    next.eta = pick(row.eta, task.eta, newer);
    next.expires = pick(row.expires, task.expires, newer);
    next.rootId = pick(row.rootId, task.rootId, newer);
    next.parentId = pick(row.parentId, task.parentId, newer);
  } else {
    // Other events rarely carry these; they only fill gaps and never override sent/received.
    next.name = row.name ?? task.name ?? null;
    next.parentId = row.parentId ?? task.parentId ?? null;
    next.rootId = row.rootId ?? task.rootId ?? null;
  }

  if (subject === 'sent') {
    const newer = t >= (row.sent ?? Number.NEGATIVE_INFINITY);
    next.client = pick(row.client, event.hostname, newer);
    next.queue = pick(row.queue, task.queue, newer);
    next.exchange = pick(row.exchange, task.exchange, newer);
    next.routingKey = pick(row.routingKey, task.routingKey, newer);
  } else {
    const lastWorkerEvent = newest(
      row.received,
      row.started,
      row.succeeded,
      row.failed,
      row.retried,
      row.revoked,
      row.rejected,
      row.customTs,
    );
    next.worker = pick(row.worker, event.hostname, t >= (lastWorkerEvent ?? Number.NEGATIVE_INFINITY));
    next.queue = row.queue ?? task.queue ?? null;
  }

  if (subject === 'succeeded') {
    const newer = t >= (row.succeeded ?? Number.NEGATIVE_INFINITY);
    next.result = pick(row.result, task.result, newer);
    next.runtime = pick(row.runtime, task.runtime, newer);
  }
  // Exception and traceback come from the newest task-failed when there is one: FAILURE is final,
  // and a retry reported before or after it must not put its own exception on the failed task.
  // Otherwise they come from the newest task-retried (a RETRY keeps its exception, as in Celery).
  const errorTime =
    subject === 'failed'
      ? row.failed
      : subject === 'retried' && row.failed === null
        ? row.retried
        : undefined;
  if (errorTime !== undefined && t >= (errorTime ?? Number.NEGATIVE_INFINITY)) {
    next.exception = task.exception ?? null;
    next.traceback = task.traceback ?? null;
  }

  Object.assign(next, recordTime(next, subject, t));

  const newestEvent = row.lastTs === null || t >= row.lastTs;
  if (newestEvent) {
    next.lastTs = t;
    next.clock = event.clock ?? row.clock;
    next.extra = { ...row.extra, ...event.extra };
  } else {
    next.extra = { ...event.extra, ...row.extra };
  }

  const { state, timestamp } = resolveState(next);
  next.state = state;
  next.timestamp = timestamp;
  return next;
}
