import { describe, expect, it } from 'vitest';
import { evolveTask } from './task-evolve';
import { emptyTask, type TaskEventInput, type TaskRow } from './task-row';

const CONNECTION = '00000000-0000-4000-8000-000000000001';
const UUID = 'task-1';

function ev(
  subject: string,
  timestamp: number,
  fields: Partial<TaskEventInput['task']> = {},
  hostname = 'celery@w1',
  extra = {},
): TaskEventInput {
  return {
    subject,
    timestamp,
    clock: Math.round(timestamp),
    hostname,
    task: { uuid: UUID, ...fields },
    extra,
  };
}
const given = (...events: TaskEventInput[]): TaskRow =>
  events.reduce(evolveTask, emptyTask(CONNECTION, UUID));

/** Every permutation of a small list, to show the fold does not depend on delivery order. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('evolveTask: Celery state precedence', () => {
  it.each([
    ['received then started', ['received', 'started'], 'STARTED'],
    ['started then a late received', ['started', 'received'], 'STARTED'],
    ['succeeded then a late started', ['succeeded', 'started'], 'SUCCESS'],
    ['failed then a late received', ['failed', 'received'], 'FAILURE'],
    ['revoked then a late received', ['revoked', 'received'], 'REVOKED'],
    ['received then rejected (lower precedence) keeps RECEIVED', ['received', 'rejected'], 'RECEIVED'],
    ['sent only is PENDING', ['sent'], 'PENDING'],
    ['custom state beats STARTED', ['started', 'progress'], 'PROGRESS'],
    ['custom state loses to SUCCESS', ['succeeded', 'progress'], 'SUCCESS'],
  ])('given %s, then the state is right', (_title, subjects, state) => {
    // Each event is later in time than the one before it in the list only when delivered in order:
    // here the times follow the real lifecycle, so "late" means delivered after a newer one.
    const lifecycle = [
      'sent',
      'received',
      'rejected',
      'started',
      'progress',
      'revoked',
      'succeeded',
      'failed',
    ];
    const row = given(...subjects.map((subject) => ev(subject, 1000 + lifecycle.indexOf(subject))));
    expect(row.state).toBe(state);
  });

  it('given RETRY, when the next attempt is received, then RETRY is overridden', () => {
    const row = given(
      ev('received', 1),
      ev('started', 2),
      ev('retried', 3, { exception: "Retry('again')" }),
      ev('received', 4, { retries: 1 }),
    );
    expect(row.state).toBe('RECEIVED');
    expect(row.exception).toBe("Retry('again')");
    expect(row.retries).toBe(1);
  });

  it('given STARTED, when task-retried arrives, then RETRY wins whatever the precedence', () => {
    const row = given(
      ev('received', 1),
      ev('started', 2),
      ev('retried', 3, { exception: 'boom', traceback: 'tb' }),
    );
    expect(row).toMatchObject({ state: 'RETRY', timestamp: 3, exception: 'boom', traceback: 'tb' });
  });

  it('given a retried-then-succeeded task in any delivery order, then it is SUCCESS with the retry exception kept', () => {
    const events = [
      ev('received', 1, { name: 't', retries: 0 }),
      ev('started', 2),
      ev('retried', 3, { exception: 'E' }),
      ev('received', 4, { retries: 1 }),
      ev('started', 5),
      ev('succeeded', 6, { result: '4', runtime: 0.5 }),
    ];
    const reference = given(...events);
    expect(reference).toMatchObject({
      state: 'SUCCESS',
      timestamp: 6,
      exception: 'E',
      result: '4',
      retries: 1,
      received: 4,
      started: 5,
    });
    for (const order of permutations(events.slice(1)))
      expect(given(events[0] as TaskEventInput, ...order)).toEqual(reference);
  });
});

describe('evolveTask: a retry reported after the retried message already finished', () => {
  it('given the new run succeeded before the old run sent task-retried, then the task is SUCCESS', () => {
    const row = given(
      ev('received', 1, { name: 't', retries: 0 }),
      ev('started', 2),
      ev('received', 3, { retries: 1 }),
      ev('started', 4),
      ev('succeeded', 5, { result: '4' }),
      ev('retried', 6, { exception: 'E' }),
    );
    expect(row).toMatchObject({ state: 'SUCCESS', timestamp: 5, result: '4', exception: 'E' });
  });
});

describe('evolveTask: final-state fields come from the event that set the final state', () => {
  it('given a task-retried reported after task-failed, then FAILURE keeps the failure exception and traceback', () => {
    const events = [
      ev('received', 1, { name: 't', retries: 0 }),
      ev('started', 2),
      ev('failed', 3, { exception: "ValueError('boom')", traceback: 'Traceback: boom' }),
      ev('retried', 4, { exception: "Retry('later')", traceback: 'Traceback: retry' }),
    ];
    for (const order of permutations(events))
      expect(given(...order)).toMatchObject({
        state: 'FAILURE',
        timestamp: 3,
        exception: "ValueError('boom')",
        traceback: 'Traceback: boom',
      });
  });

  it('given a retry, then RETRY shows the retry exception until a failure replaces it', () => {
    const retried = given(ev('started', 1), ev('retried', 2, { exception: 'E1', traceback: 'T1' }));
    expect(retried).toMatchObject({ state: 'RETRY', exception: 'E1', traceback: 'T1' });
    const failed = evolveTask(retried, ev('failed', 3, { exception: 'E2', traceback: 'T2' }));
    expect(failed).toMatchObject({ state: 'FAILURE', exception: 'E2', traceback: 'T2' });
  });
});

describe('evolveTask: merge rules', () => {
  it('given SUCCESS, when a late task-received arrives, then only its whitelisted fields fill in and the state stays', () => {
    const row = given(
      ev('succeeded', 5, { result: '3' }),
      ev(
        'received',
        2,
        {
          name: 'tasks.add',
          args: '(1, 2)',
          kwargs: '{}',
          eta: undefined,
          retries: 0,
          rootId: 'r',
          parentId: 'p',
        },
        'celery@w2',
      ),
    );
    expect(row).toMatchObject({
      state: 'SUCCESS',
      timestamp: 5,
      name: 'tasks.add',
      args: '(1, 2)',
      rootId: 'r',
      parentId: 'p',
      worker: 'celery@w1',
      received: 2,
    });
  });

  it('given task-sent, then client, exchange, routing_key and queue come from it and worker stays empty', () => {
    const row = given(
      ev('sent', 1, { name: 'tasks.add', queue: 'celery', exchange: '', routingKey: 'celery' }, 'gen1@host'),
    );
    expect(row).toMatchObject({
      client: 'gen1@host',
      worker: null,
      queue: 'celery',
      exchange: '',
      routingKey: 'celery',
      state: 'PENDING',
      sent: 1,
    });
  });

  it('given a succeeded task, when the same event is redelivered, then nothing changes', () => {
    const once = given(ev('received', 1, { name: 'x' }), ev('succeeded', 2, { result: '1' }));
    expect(evolveTask(once, ev('succeeded', 2, { result: '1' }))).toEqual(once);
  });

  it('given custom events with data, then their fields land in extra and the newest wins', () => {
    const row = given(
      ev('progress', 3, {}, 'celery@w1', { current: 30 }),
      ev('progress', 2, {}, 'celery@w1', { current: 20, total: 100 }),
    );
    expect(row.extra).toEqual({ current: 30, total: 100 });
    expect(row.customState).toBe('PROGRESS');
  });

  it('given every delivery order of a full lifecycle, then the rows are identical', () => {
    const events = [
      ev('sent', 1, { name: 'n', args: '()', queue: 'q' }, 'gen@h'),
      ev('received', 2, { name: 'n', args: '()' }),
      ev('started', 3),
      ev('succeeded', 4, { result: 'r', runtime: 1 }),
    ];
    const rows = permutations(events).map((order) => given(...order));
    for (const row of rows) expect(row).toEqual(rows[0]);
    expect(rows[0]).toMatchObject({
      state: 'SUCCESS',
      timestamp: 4,
      clock: 4,
      lastTs: 4,
      worker: 'celery@w1',
      client: 'gen@h',
    });
  });
});
