/**
 * The lowercase states of the SSE stream. Celery's states and the one resolver the stream shares
 * with the projector live in @celeriac/celery-domain (celery-states.ts, task-resolver.ts).
 */

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
