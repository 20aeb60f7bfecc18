import { capturedCeleryEvents } from '@celeriac/tests/fixtures/captured-celery';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeCeleryEvent } from './normalize';
import { evolveTask } from './task-evolve';
import { emptyTimes, recordTime, resolveState, subjectOfTaskType } from './task-resolver';
import { emptyTask, type TaskEventInput, type TaskRow } from './task-row';

/**
 * Property: for the event sequences of real Celery tasks (captured from a real worker), every
 * delivery order with any events delivered more than once gives the same task, state and
 * final-state fields included, as the projector's rows and as the streams' resolver.
 */

const CONNECTION = '6f1c3a52-6f7e-4a43-9d43-0f0f5b7d2f10';

function taskSequences(): Map<string, TaskEventInput[]> {
  const byTask = new Map<string, TaskEventInput[]>();
  for (const raw of capturedCeleryEvents()) {
    const result = normalizeCeleryEvent(raw, { connectionId: CONNECTION, receivedAtMs: 0 });
    if (!result.ok) throw new Error(`captured event did not normalize: ${result.detail}`);
    const { event } = result;
    if (event.body?.$case !== 'task') continue;
    const input: TaskEventInput = {
      subject: subjectOfTaskType(event.type),
      timestamp: event.timestamp,
      clock: event.clock ?? null,
      hostname: event.hostname,
      task: event.body.value,
      extra: JSON.parse(event.extraJson) as Record<string, unknown>,
    };
    const list = byTask.get(event.body.value.uuid) ?? [];
    list.push(input);
    byTask.set(event.body.value.uuid, list);
  }
  return byTask;
}

const fold = (uuid: string, events: readonly TaskEventInput[]): TaskRow =>
  events.reduce(evolveTask, emptyTask(CONNECTION, uuid));

const streamState = (events: readonly TaskEventInput[]): string =>
  resolveState(events.reduce((times, e) => recordTime(times, e.subject, e.timestamp), emptyTimes())).state;

/** Each event at least once, some more than once, in any order. */
const deliveries = (events: readonly TaskEventInput[]) =>
  fc.array(fc.nat({ max: events.length - 1 }), { maxLength: events.length * 2 }).chain((again) => {
    const all = [...events, ...again.map((i) => events[i] as TaskEventInput)];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });

const sequences = [...taskSequences()];

describe('the resolver on recorded real Celery tasks', () => {
  it('has recorded lifecycles with every kind of event to work on', () => {
    const subjects = new Set(sequences.flatMap(([, events]) => events.map((e) => e.subject)));
    for (const subject of [
      'sent',
      'received',
      'started',
      'succeeded',
      'failed',
      'retried',
      'revoked',
      'rejected',
      'progress',
    ])
      expect(subjects, subject).toContain(subject);
  });

  it.each(sequences)('task %s: every permutation and duplication gives the same task', (uuid, events) => {
    const reference = fold(uuid, events);
    fc.assert(
      fc.property(deliveries(events), (delivered) => {
        const row = fold(uuid, delivered);
        expect(row).toEqual(reference);
        expect(streamState(delivered)).toBe(reference.state);
      }),
      { numRuns: 300 },
    );
  });

  const failed = sequences.filter(([, events]) => events.some((e) => e.subject === 'failed'));

  it.each(failed)(
    'task %s: a retry reported at any time leaves the failure its own exception',
    (uuid, events) => {
      const failure = events.find((e) => e.subject === 'failed') as TaskEventInput;
      const first = Math.min(...events.map((e) => e.timestamp));
      const retryAnyTime = fc
        .tuple(
          fc.double({ min: first, max: failure.timestamp + 10, noNaN: true }),
          fc.string({ maxLength: 40 }),
        )
        .chain(([retriedAt, text]) => {
          const retried: TaskEventInput = {
            ...failure,
            subject: 'retried',
            timestamp: retriedAt,
            task: { uuid, exception: `Retry(${JSON.stringify(text)})`, traceback: 'retry traceback' },
          };
          return deliveries([...events, retried]);
        });
      fc.assert(
        fc.property(retryAnyTime, (delivered) => {
          const row = fold(uuid, delivered);
          expect(row.state).toBe('FAILURE');
          expect(row.exception).toBe(failure.task.exception ?? null);
          expect(row.traceback).toBe(failure.task.traceback ?? null);
        }),
        { numRuns: 300 },
      );
    },
  );
});
