import { precedenceIndex } from '@celeriac/celery-domain/celery-states';
import type { TaskRow } from './task-state';

// Celery's precedence (lower index wins) comes from the shared table; RETRY is handled apart here
// because it bypasses precedence.

/** The per-subject timestamp column that records each built-in state, in precedence order. */
const STATE_TIMES: [string, (row: TaskRow) => number | null][] = [
  ['SUCCESS', (row) => row.succeeded],
  ['FAILURE', (row) => row.failed],
  ['REVOKED', (row) => row.revoked],
  ['STARTED', (row) => row.started],
  ['RECEIVED', (row) => row.received],
  ['REJECTED', (row) => row.rejected],
  ['PENDING', (row) => row.sent],
];

/** The states that end a run for good: a retry reported after them cannot have come later. */
const FINISHED = new Set(['SUCCESS', 'FAILURE']);

/**
 * Derives state and timestamp from the latest time of each subject, so the result does not depend
 * on delivery order. Delivered in order this is Celery's fold: the highest-precedence state wins
 * and late events never downgrade it, while a retry overrides everything before it and is
 * overridden by anything after it, which is what Celery's "RETRY bypasses precedence" amounts to
 * when events arrive in time order. Only events newer than the latest retry compete, except that
 * SUCCESS and FAILURE always do: a retried task's new message can run and finish on another pool
 * process before the old run's worker reports task-retried, and a task that finished is finished.
 */
export function resolveState(row: TaskRow): { state: string; timestamp: number | null } {
  const after = row.retried;
  const competes = (state: string, time: number | null): time is number =>
    time !== null && (after === null || time > after || FINISHED.has(state));
  let best: { state: string; timestamp: number; index: number } | null = null;
  const consider = (state: string, time: number | null) => {
    if (!competes(state, time)) return;
    const index = precedenceIndex(state);
    if (best === null || index < best.index || (index === best.index && time > best.timestamp)) {
      best = { state, timestamp: time, index };
    }
  };
  for (const [state, time] of STATE_TIMES) consider(state, time(row));
  if (row.customState !== null) consider(row.customState, row.customTs);
  const winner = best as { state: string; timestamp: number } | null;
  if (winner) return { state: winner.state, timestamp: winner.timestamp };
  if (after !== null) return { state: 'RETRY', timestamp: after };
  return { state: 'PENDING', timestamp: null };
}
