/**
 * The fault tests' two sides of "every event exactly once": what Celery put on the wire (a tap on
 * `celeryev`, mapped to the event ids Celeriac gives them) and what is in PostgreSQL.
 */
import { eventIdOf } from '@celeriac/celery-domain/normalize';
import amqp from 'amqplib';
import pg from 'pg';

/** The task events Celery put on the wire (tap elements), as the event ids Celeriac gives them. */
export function sentTaskEventIds(
  connectionId: string,
  elements: readonly Record<string, unknown>[],
): Set<string> {
  const ids = new Set<string>();
  for (const element of elements)
    if (typeof element.type === 'string' && element.type.startsWith('task-'))
      ids.add(eventIdOf(connectionId, element));
  return ids;
}

/** event_id -> number of rows in celeriac.task_events for the connection. */
export async function storedTaskEvents(
  databaseUrl: string,
  connectionId: string,
): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ event_id: string; n: number }>(
      'SELECT event_id, count(*)::int AS n FROM celeriac.task_events WHERE connection_id = $1 GROUP BY event_id',
      [connectionId],
    );
    return new Map(rows.map((row) => [row.event_id, row.n]));
  } finally {
    await client.end();
  }
}

/** Task uuids in celeriac.tasks for the connection (one row per task). */
export async function storedTaskCount(databaseUrl: string, connectionId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM celeriac.tasks WHERE connection_id = $1',
      [connectionId],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/**
 * A queue of our own bound to `celeryev` `#`, filling `elements`: the ground truth of what Celery put
 * on the wire. It survives nothing: after a broker restart, call it again with the same array.
 */
export async function tapTaskEvents(
  brokerUrl: string,
  elements: Record<string, unknown>[] = [],
): Promise<{ elements: Record<string, unknown>[]; close(): Promise<void> }> {
  const connection = await amqp.connect(brokerUrl);
  // The broker going away is what these tests do; the tap just ends.
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'celeryev', '#');
  await channel.consume(
    queue,
    (message) => {
      if (message?.properties.contentType !== 'application/json') return;
      const body = JSON.parse(message.content.toString('utf8')) as unknown;
      for (const item of Array.isArray(body) ? body : [body])
        if (item && typeof item === 'object') elements.push(item as Record<string, unknown>);
    },
    { noAck: true },
  );
  return { elements, close: () => connection.close().catch(() => undefined) };
}

/** Final states per task in celeriac.tasks (tasks not finished count under their current state). */
export async function storedTaskStates(
  databaseUrl: string,
  connectionId: string,
): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM celeriac.tasks WHERE connection_id = $1 GROUP BY state',
      [connectionId],
    );
    return new Map(rows.map((row) => [row.state, row.n]));
  } finally {
    await client.end();
  }
}
