import { randomUUID } from 'node:crypto';

export interface BenchMessage {
  routingKey: string;
  hostname: string;
  body: Buffer;
  events: number;
}

const WORKERS = ['celery@bench-1', 'celery@bench-2', 'celery@bench-3', 'celery@bench-4'];

/**
 * Realistic event traffic: what a Celery 5.5 prefork worker and its clients put on celeryev (field
 * sets as in tests/fixtures/celery-5.5.3). Yields messages until `targetEvents` events were made.
 */
export function* backlogMessages(targetEvents: number): Generator<BenchMessage> {
  let made = 0;
  let clock = 1000;
  let task = 0;
  const base = (type: string, hostname: string) => ({
    hostname,
    utcoffset: 0,
    pid: 4242,
    clock: clock++,
    timestamp: 1_795_328_000 + clock / 1000,
    type,
  });
  while (made < targetEvents) {
    const uuid = randomUUID();
    const worker = WORKERS[task % WORKERS.length]!;
    const fail = task % 10 === 9;
    task += 1;
    const sent = {
      ...base('task-sent', 'gen1234@client'),
      uuid,
      root_id: uuid,
      parent_id: null,
      name: fail ? 'tasks.error' : 'tasks.add',
      args: `(${task}, ${task * 2})`,
      kwargs: '{}',
      retries: 0,
      eta: null,
      expires: null,
      queue: 'celery',
      exchange: '',
      routing_key: 'celery',
    };
    const received = {
      ...base('task-received', worker),
      uuid,
      name: sent.name,
      args: sent.args,
      kwargs: '{}',
      root_id: uuid,
      parent_id: null,
      retries: 0,
      eta: null,
      expires: null,
    };
    const started = { ...base('task-started', worker), uuid };
    const done = fail
      ? {
          ...base('task-failed', worker),
          uuid,
          exception: "ValueError('demo failure')",
          traceback:
            'Traceback (most recent call last):\n  File "demo_app.py", line 52, in error\n    raise ValueError(msg)\nValueError: demo failure\n',
        }
      : { ...base('task-succeeded', worker), uuid, result: String(task * 3), runtime: 0.0012 };
    yield {
      routingKey: 'task.sent',
      hostname: 'gen1234@client',
      body: Buffer.from(JSON.stringify(sent)),
      events: 1,
    };
    // Prefork workers flush their buffer each loop turn: 1-3 events per task.multi list.
    const lists =
      task % 3 === 0
        ? [[received, started, done]]
        : task % 3 === 1
          ? [[received, started], [done]]
          : [[received], [started], [done]];
    for (const list of lists)
      yield {
        routingKey: 'task.multi',
        hostname: worker,
        body: Buffer.from(JSON.stringify(list)),
        events: list.length,
      };
    made += 4;
    if (task % 125 === 0) {
      const heartbeat = {
        ...base('worker-heartbeat', worker),
        freq: 2.0,
        active: 2,
        processed: task,
        loadavg: [0.5, 0.4, 0.3],
        sw_ident: 'py-celery',
        sw_ver: '5.5.3',
        sw_sys: 'Linux',
      };
      yield {
        routingKey: 'worker.heartbeat',
        hostname: worker,
        body: Buffer.from(JSON.stringify(heartbeat)),
        events: 1,
      };
      made += 1;
    }
  }
}
