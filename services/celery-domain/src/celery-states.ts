/**
 * Celery's task states and their precedence (as Celery's celery/states.py and events/state.py define
 * them; docs/celery-events.md, "Task state"), shared by every service that folds task events so they
 * can never disagree.
 */

const SUBJECT_STATES: Readonly<Record<string, string>> = {
  sent: 'PENDING',
  received: 'RECEIVED',
  started: 'STARTED',
  failed: 'FAILURE',
  retried: 'RETRY',
  succeeded: 'SUCCESS',
  revoked: 'REVOKED',
  rejected: 'REJECTED',
};

/** Lower index = higher precedence; custom states sit at index 2, Celery's `None` slot. */
const PRECEDENCE: readonly (string | null)[] = [
  'SUCCESS',
  'FAILURE',
  null,
  'REVOKED',
  'STARTED',
  'RECEIVED',
  'REJECTED',
  'RETRY',
  'PENDING',
];
const CUSTOM_INDEX = 2;

/** "task-succeeded" -> SUCCESS; other subjects become their upper-cased custom state ("task-progress" -> PROGRESS). */
export function stateOfTaskEvent(type: string): string {
  const subject = type.startsWith('task-') ? type.slice('task-'.length) : type;
  return SUBJECT_STATES[subject] ?? subject.toUpperCase();
}

export function precedenceIndex(state: string): number {
  const index = PRECEDENCE.indexOf(state);
  return index === -1 ? CUSTOM_INDEX : index;
}

/**
 * Celery's ready states: the task will not run again by itself, so its result is final and it may
 * be re-run. The gateway's re-run command and the dashboard both judge by this set.
 */
export const READY_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** A task in one of these states gets no more events for this run (ready, or rejected by the worker). */
export function hasEnded(state: string): boolean {
  return READY_STATES.has(state) || state === 'REJECTED';
}
