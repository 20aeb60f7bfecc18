import type { CeleryEvent } from '@celeriac/proto/events';
import { INSPECT_SNAPSHOT_TYPE, QUEUES_SNAPSHOT_TYPE } from '@celeriac/proto/topics';

/**
 * Realistic Celery traffic without a broker, for volume (crash tests, benchmark): task lifecycles
 * as a worker emits them (sent by a client, then received, started, succeeded or failed by a
 * worker, with retries now and then), worker heartbeats every 2 s, queue and inspect snapshots.
 * Deterministic for a seed, so two runs produce the same log.
 */
export function* syntheticEvents(options: {
  connectionId: string;
  tasks: number;
  startMs: number;
  /** Tasks started per second of Celery time; sets the spacing of timestamps. */
  tasksPerSecond?: number;
  workers?: number;
  seed?: number;
}): Generator<CeleryEvent> {
  const { connectionId } = options;
  const workers = Array.from({ length: options.workers ?? 4 }, (_, i) => `celery@worker-${i}`);
  const names = [
    'tasks.add',
    'tasks.echo',
    'tasks.resize_image',
    'tasks.send_email',
    'tasks.error',
    'tasks.report',
  ];
  const spacingMs = 1000 / (options.tasksPerSecond ?? 500);
  let seq = 0;
  let clock = 1;
  let random = (options.seed ?? 1) >>> 0 || 1;
  const next = () => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) / 2 ** 32;
  };
  const event = (
    type: string,
    hostname: string,
    ms: number,
    body: CeleryEvent['body'],
    extra = '{}',
  ): CeleryEvent => ({
    eventId: `${connectionId.slice(0, 8)}${(seq++).toString(16).padStart(12, '0')}`,
    connectionId,
    type,
    hostname,
    timestamp: ms / 1000,
    clock: clock++,
    utcoffset: 0,
    pid: 4242,
    receivedAtMs: Math.round(ms + 3),
    body,
    extraJson: extra,
  });
  let lastBeatMs = options.startMs;
  let lastSnapshotMs = options.startMs;
  for (let i = 0; i < options.tasks; i += 1) {
    const t0 = options.startMs + i * spacingMs;
    const uuid = `${connectionId.slice(0, 8)}-task-${i.toString().padStart(9, '0')}`;
    const name = names[i % names.length] as string;
    const worker = workers[i % workers.length] as string;
    const fields = { name, args: `(${i}, ${i % 7})`, kwargs: '{}', retries: 0, rootId: uuid };
    const queueWait = 2 + next() * 40;
    const runtime = 0.001 + next() * (name === 'tasks.report' ? 2 : 0.2);
    yield event('task-sent', 'gen77@client', t0, {
      $case: 'task',
      value: { uuid, ...fields, queue: 'celery', exchange: '', routingKey: 'celery' },
    });
    yield event('task-received', worker, t0 + queueWait, { $case: 'task', value: { uuid, ...fields } });
    yield event('task-started', worker, t0 + queueWait + 1, { $case: 'task', value: { uuid } });
    const end = t0 + queueWait + 1 + runtime * 1000;
    if (name === 'tasks.error' || next() < 0.03) {
      yield event('task-failed', worker, end, {
        $case: 'task',
        value: {
          uuid,
          exception: "ValueError('boom')",
          traceback: 'Traceback (most recent call last):\n  ...',
        },
      });
    } else {
      yield event('task-succeeded', worker, end, {
        $case: 'task',
        value: { uuid, result: String(i), runtime },
      });
    }
    if (t0 - lastBeatMs >= 2000) {
      lastBeatMs = t0;
      for (const hostname of workers) {
        yield event('worker-heartbeat', hostname, t0, {
          $case: 'worker',
          value: {
            freq: 2,
            active: 1 + (i % 3),
            processed: i,
            loadavg: [0.5, 0.4, 0.3],
            swIdent: 'py-celery',
            swVer: '5.5.3',
            swSys: 'Linux',
          },
        });
      }
    }
    if (t0 - lastSnapshotMs >= 5000) {
      lastSnapshotMs = t0;
      yield event(QUEUES_SNAPSHOT_TYPE, 'collector-1', t0, {
        $case: 'queues',
        value: {
          queues: [{ name: 'celery', messages: Math.floor(next() * 500), consumers: workers.length }],
        },
      });
      yield event(INSPECT_SNAPSHOT_TYPE, 'collector-1', t0, {
        $case: 'inspect',
        value: {
          method: 'active_queues',
          repliesJson: Object.fromEntries(workers.map((w) => [w, JSON.stringify([{ name: 'celery' }])])),
        },
      });
      yield event(INSPECT_SNAPSHOT_TYPE, 'collector-1', t0, {
        $case: 'inspect',
        value: {
          method: 'stats',
          repliesJson: Object.fromEntries(
            workers.map((w) => [
              w,
              JSON.stringify({ uptime: Math.round((t0 - options.startMs) / 1000) + 600, pid: 4242 }),
            ]),
          ),
        },
      });
    }
  }
}
