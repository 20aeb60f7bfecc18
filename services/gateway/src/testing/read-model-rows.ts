import type pg from 'pg';

/** Writes read-model rows the way the projector would, for gateway integration tests. */
export async function insertTask(
  pool: pg.Pool,
  connectionId: string,
  task: Record<string, unknown>,
): Promise<void> {
  const columns = Object.keys(task);
  const quoted = columns.map((column) => (column === 'timestamp' ? '"timestamp"' : column));
  const placeholders = columns.map((_, index) => `$${index + 2}`);
  await pool.query(
    `INSERT INTO celeriac.tasks (connection_id, ${quoted.join(', ')}) VALUES ($1, ${placeholders.join(', ')})`,
    [connectionId, ...columns.map((column) => task[column])],
  );
}

export async function insertWorker(
  pool: pg.Pool,
  connectionId: string,
  hostname: string,
  inspect: Record<string, unknown>,
  alive = true,
): Promise<void> {
  await pool.query(
    `INSERT INTO celeriac.workers (connection_id, hostname, pid, freq, active, processed, loadavg, sw_ident, sw_ver,
       sw_sys, online, first_seen_at, last_heartbeat, last_heartbeat_at, inspect, inspected_at)
     VALUES ($1, $2, 100, 2, 0, 5, '{0.1,0.2,0.3}', 'py-celery', '5.5.3', 'Linux', $3, now(),
       extract(epoch FROM now()), CASE WHEN $3 THEN now() ELSE now() - interval '1 hour' END, $4, now())`,
    [connectionId, hostname, alive, JSON.stringify(inspect)],
  );
}

export async function insertQueue(
  pool: pg.Pool,
  connectionId: string,
  name: string,
  messages: number,
  consumers: number,
) {
  await pool.query(
    'INSERT INTO celeriac.queues (connection_id, name, messages, consumers, sampled_at) VALUES ($1, $2, $3, $4, now())',
    [connectionId, name, messages, consumers],
  );
}

export async function insertTaskType(pool: pg.Pool, connectionId: string, name: string) {
  await pool.query(
    'INSERT INTO celeriac.task_types (connection_id, name, first_seen_at) VALUES ($1, $2, now())',
    [connectionId, name],
  );
}

export async function insertTaskEvent(
  pool: pg.Pool,
  connectionId: string,
  event: { eventId: string; taskUuid: string; type: string; offset: number; timestamp: number },
) {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS celeriac.task_events_test PARTITION OF celeriac.task_events DEFAULT',
  );
  await pool.query(
    `INSERT INTO celeriac.task_events (connection_id, event_id, task_uuid, type, hostname, "timestamp", clock,
       received_at, kafka_partition, kafka_offset, fields)
     VALUES ($1, $2, $3, $4, 'celery@w1', $5, 1, now(), 0, $6, $7)`,
    [
      connectionId,
      event.eventId,
      event.taskUuid,
      event.type,
      event.timestamp,
      event.offset,
      JSON.stringify({ type: event.type }),
    ],
  );
}

/** A small world of tasks, workers and queues for one connection; names carry `tag` so leaks show. */
export async function seedConnection(pool: pg.Pool, connectionId: string, tag: string) {
  const base = 1_700_000_000;
  const tasks = [
    {
      uuid: `${tag}-t1`,
      name: `${tag}.add`,
      state: 'SUCCESS',
      received: base + 1,
      started: base + 2,
      succeeded: base + 3,
      timestamp: base + 3,
      worker: `${tag}@w1`,
      args: '(1, 2)',
      kwargs: "{'x': 1}",
      result: '3',
      runtime: 1.0,
      retries: 0,
      clock: 10,
    },
    {
      uuid: `${tag}-t2`,
      name: `${tag}.error`,
      state: 'FAILURE',
      received: base + 4,
      started: base + 5,
      failed: base + 6,
      timestamp: base + 6,
      worker: `${tag}@w1`,
      args: '()',
      kwargs: '{}',
      exception: "ValueError('boom')",
      traceback: 'Traceback ...',
      clock: 11,
    },
    {
      uuid: `${tag}-t3`,
      name: `${tag}.add`,
      state: 'STARTED',
      received: base + 7,
      started: base + 8,
      timestamp: base + 8,
      worker: `${tag}@w2`,
      args: '(5, 6)',
      kwargs: '{}',
      clock: 12,
    },
    {
      uuid: `${tag}-t4`,
      name: `${tag}.sleep`,
      state: 'PENDING',
      sent: base + 9,
      timestamp: base + 9,
      args: '(10,)',
      kwargs: '{}',
      clock: 13,
    },
  ];
  for (const task of tasks) await insertTask(pool, connectionId, task);
  for (const name of [`${tag}.add`, `${tag}.error`, `${tag}.sleep`])
    await insertTaskType(pool, connectionId, name);
  const inspect = (worker: string) => ({
    stats: { pid: 100, pool: { 'max-concurrency': 2 } },
    active_queues: [{ name: `${tag}-queue` }],
    registered: [`${tag}.add`, `${tag}.error [rate_limit=10/m]`],
    active: [{ id: `${tag}-t3`, hostname: worker }],
    reserved: [],
    scheduled: [],
    revoked: [],
    conf: {},
  });
  await insertWorker(pool, connectionId, `${tag}@w1`, inspect(`${tag}@w1`));
  await insertWorker(pool, connectionId, `${tag}@w2`, inspect(`${tag}@w2`), false);
  await insertQueue(pool, connectionId, `${tag}-queue`, 7, 2);
  await insertTaskEvent(pool, connectionId, {
    eventId: `${tag}-e1`,
    taskUuid: `${tag}-t1`,
    type: 'task-received',
    offset: 1,
    timestamp: base + 1,
  });
  await insertTaskEvent(pool, connectionId, {
    eventId: `${tag}-e2`,
    taskUuid: `${tag}-t1`,
    type: 'task-succeeded',
    offset: 2,
    timestamp: base + 3,
  });
  return { tasks };
}
