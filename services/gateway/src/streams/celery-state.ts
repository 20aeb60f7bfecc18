/**
 * The merge rule the live streams apply to Celery task states, and the lowercase states of the SSE
 * stream. Celery's state table itself lives in @celeriac/celery-domain/celery-states.
 */
import { precedenceIndex } from '@celeriac/celery-domain/celery-states';

export { stateOfTaskEvent } from '@celeriac/celery-domain/celery-states';

/**
 * The merged state after an event: a late event of lower precedence never downgrades the state,
 * except that RETRY always replaces and is always replaced (Celery's merge rule), with one
 * correction: RETRY does not replace SUCCESS or FAILURE. The retried message can run and finish on
 * another pool process before the old run's task-retried is sent, and a finished task is finished
 * (the projector resolves the same way, so the API and the stream agree).
 */
export function mergeState(current: string | undefined, incoming: string): string {
  if (current === undefined) return incoming;
  if (incoming === 'RETRY' && (current === 'SUCCESS' || current === 'FAILURE')) return current;
  if (incoming !== 'RETRY' && current !== 'RETRY' && precedenceIndex(incoming) > precedenceIndex(current))
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
