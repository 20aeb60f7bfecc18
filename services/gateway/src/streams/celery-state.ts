/**
 * Celery's task state rules (celery/states.py and events/state.py, as described in
 * shared/reference/celery-wire-protocol.md §2.3-§2.4) and the lowercase states of the SSE stream.
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

/** Lower index = higher precedence; custom states sit at index 2 like Celery's `None` slot. */
const PRECEDENCE = [
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

function precedence(state: string): number {
  const index = PRECEDENCE.indexOf(state);
  return index === -1 ? CUSTOM_INDEX : index;
}

/**
 * The merged state after an event: a late event of lower precedence never downgrades the state,
 * except that RETRY always replaces and is always replaced (Celery's merge rule).
 */
export function mergeState(current: string | undefined, incoming: string): string {
  if (current === undefined) return incoming;
  if (incoming !== 'RETRY' && current !== 'RETRY' && precedence(incoming) > precedence(current))
    return current;
  return incoming;
}

export type JobState =
  | 'unknown'
  | 'queued'
  | 'scheduled'
  | 'active'
  | 'completed'
  | 'failed'
  | 'retrying'
  | 'cancelled';

/**
 * Celery state -> the stream's lowercase state. The table is part of the API (README of streams):
 *   PENDING (task-sent), RECEIVED -> queued, or scheduled when the task carries an eta;
 *   STARTED and custom states (task-progress ...) -> active; SUCCESS -> completed;
 *   FAILURE -> failed; RETRY -> retrying; REVOKED and CANCELLED -> cancelled;
 *   REJECTED -> queued when the worker requeued the message, else failed.
 */
export function jobStateOf(
  celeryState: string,
  context: { eta?: string | null; requeue?: boolean } = {},
): JobState {
  switch (celeryState) {
    case 'PENDING':
    case 'RECEIVED':
      return context.eta ? 'scheduled' : 'queued';
    case 'STARTED':
      return 'active';
    case 'SUCCESS':
      return 'completed';
    case 'FAILURE':
      return 'failed';
    case 'RETRY':
      return 'retrying';
    case 'REVOKED':
    case 'CANCELLED':
      return 'cancelled';
    case 'REJECTED':
      return context.requeue ? 'queued' : 'failed';
    case '':
      return 'unknown';
    default:
      return 'active';
  }
}
