import { precedenceIndex } from './celery-states';

/**
 * The one task-state resolver (docs/celery-events.md, "Task state"). The projector's rows and the
 * live streams' memory both keep these times and ask `resolveState`, so the API and the SSE stream
 * cannot disagree about a task that has seen the same events.
 */

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

/** "task-succeeded" -> "succeeded", "task-progress" -> "progress". */
export function subjectOfTaskType(type: string): string {
  return type.startsWith('task-') ? type.slice('task-'.length) : type;
}

/** What the resolver needs of a task: the newest Celery time of each subject, and of the custom state. */
export type TaskTimes = { [subject in KnownSubject]: number | null } & {
  /** Newest custom state (upper-cased subject of e.g. task-progress) and its time. */
  customState: string | null;
  customTs: number | null;
};

export function emptyTimes(): TaskTimes {
  return {
    sent: null,
    received: null,
    started: null,
    succeeded: null,
    failed: null,
    retried: null,
    revoked: null,
    rejected: null,
    customState: null,
    customTs: null,
  };
}

const newest = (a: number | null, b: number): number => (a === null || b > a ? b : a);

/**
 * The times after one event: each subject keeps its maximum, the custom state the newest one (the
 * greater name on equal times). Commutative and idempotent, hence order- and replay-independent.
 */
export function recordTime<T extends TaskTimes>(times: T, subject: string, timestamp: number): T {
  if (isKnownSubject(subject)) return { ...times, [subject]: newest(times[subject], timestamp) };
  const custom = subject.toUpperCase();
  const { customTs, customState } = times;
  if (customTs === null || timestamp > customTs || (timestamp === customTs && custom > (customState ?? '')))
    return { ...times, customState: custom, customTs: timestamp };
  return times;
}

/** The per-subject time that records each built-in state, in precedence order (RETRY apart). */
const STATE_TIMES: [string, (times: TaskTimes) => number | null][] = [
  ['SUCCESS', (times) => times.succeeded],
  ['FAILURE', (times) => times.failed],
  ['REVOKED', (times) => times.revoked],
  ['STARTED', (times) => times.started],
  ['RECEIVED', (times) => times.received],
  ['REJECTED', (times) => times.rejected],
  ['PENDING', (times) => times.sent],
];

/** The states that end a run for good: a retry reported after them cannot hide them. */
export const FINISHED_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE']);

/**
 * State and its timestamp from the newest time of each subject, so the result does not depend on
 * delivery order. Delivered in order this is Celery's fold: the highest-precedence state wins and
 * late events never downgrade it, while a retry overrides everything before it and is overridden by
 * anything after it, which is what Celery's "RETRY bypasses precedence" amounts to in time order.
 * Only events newer than the latest retry compete, except that SUCCESS and FAILURE always do: a
 * retried task's new message can run and finish on another pool process before the old run's worker
 * reports task-retried, and a task that finished is finished.
 */
export function resolveState(times: TaskTimes): { state: string; timestamp: number | null } {
  const after = times.retried;
  let best: { state: string; timestamp: number; index: number } | null = null;
  const consider = (state: string, time: number | null) => {
    if (time === null || (after !== null && time <= after && !FINISHED_STATES.has(state))) return;
    const index = precedenceIndex(state);
    if (best === null || index < best.index || (index === best.index && time > best.timestamp))
      best = { state, timestamp: time, index };
  };
  for (const [state, time] of STATE_TIMES) consider(state, time(times));
  if (times.customState !== null) consider(times.customState, times.customTs);
  const winner = best as { state: string; timestamp: number } | null;
  if (winner) return { state: winner.state, timestamp: winner.timestamp };
  if (after !== null) return { state: 'RETRY', timestamp: after };
  return { state: 'PENDING', timestamp: null };
}
