/**
 * What the chaos suite checks afterwards, read the way an operator would: PostgreSQL's read models
 * (every task sent, in its final state; history without duplicates) and, for the stream clients,
 * every terminal event the projector stored with its Kafka position, the id the SSE stream gives it.
 */
import pg from 'pg';
import type { FinalState } from './chaos-traffic';
import type { SseClient } from './sse-clients';
import type { WsClient } from './ws-clients';

async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Tasks sent whose row is missing or not (yet) in the final state their task must reach. */
export async function tasksNotFinal(
  url: string,
  connectionId: string,
  expected: ReadonlyMap<string, FinalState>,
): Promise<{ id: string; want: FinalState; got: string | null }[]> {
  const rows = await query<{ uuid: string; state: string }>(
    url,
    'SELECT uuid, state FROM celeriac.tasks WHERE connection_id = $1 AND uuid = ANY($2)',
    [connectionId, [...expected.keys()]],
  );
  const stored = new Map(rows.map((row) => [row.uuid, row.state]));
  return [...expected]
    .filter(([id, want]) => stored.get(id) !== want)
    .map(([id, want]) => ({ id, want, got: stored.get(id) ?? null }));
}

/** History rows stored more than once: by event id, and terminal events per task. */
export async function duplicateHistory(url: string, connectionId: string): Promise<string[]> {
  const rows = await query<{ what: string }>(
    url,
    `SELECT 'event ' || event_id AS what FROM celeriac.task_events WHERE connection_id = $1
       GROUP BY event_id HAVING count(*) > 1
     UNION ALL
     SELECT 'task ' || task_uuid || ' ' || type FROM celeriac.task_events
       WHERE connection_id = $1 AND type IN ('task-succeeded', 'task-failed')
       GROUP BY task_uuid, type HAVING count(*) > 1`,
    [connectionId],
  );
  return rows.map((row) => row.what);
}

export interface TerminalEvent {
  task: string;
  state: 'completed' | 'failed';
  partition: number;
  offset: number;
}

/** Every task's terminal event with the Kafka position the projector stored it at. */
export async function terminalEvents(url: string, connectionId: string): Promise<TerminalEvent[]> {
  const rows = await query<{
    task_uuid: string;
    type: string;
    kafka_partition: number;
    kafka_offset: string;
  }>(
    url,
    `SELECT task_uuid, type, kafka_partition, kafka_offset FROM celeriac.task_events
      WHERE connection_id = $1 AND type IN ('task-succeeded', 'task-failed')`,
    [connectionId],
  );
  return rows.map((row) => ({
    task: row.task_uuid,
    state: row.type === 'task-succeeded' ? 'completed' : 'failed',
    partition: row.kafka_partition,
    offset: Number(row.kafka_offset),
  }));
}

const positionOf = (id: string) => {
  const [partition, offset] = id.split('-').map(Number);
  return { partition: partition as number, offset: offset as number };
};

/**
 * What one client got wrong: an id twice, ids going backwards on a partition, a reset notice, or a
 * terminal event stored after its first event (on that partition) that it never received.
 */
export function streamFaults(client: SseClient, terminal: readonly TerminalEvent[]): string[] {
  const faults = client.resets.map((reset) => `reset ${reset}`);
  const seen = new Set<string>();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  for (const event of client.events) {
    if (seen.has(event.id)) faults.push(`duplicate ${event.id} (${event.task} ${event.state})`);
    seen.add(event.id);
    const { partition, offset } = positionOf(event.id);
    if ((last.get(partition) ?? -1) > offset) faults.push(`out of order ${event.id}`);
    last.set(partition, offset);
    if (!first.has(partition)) first.set(partition, offset);
  }
  const got = new Set(client.events.map((event) => `${event.task} ${event.state}`));
  for (const event of terminal) {
    const from = first.get(event.partition);
    if (from !== undefined && event.offset > from && !got.has(`${event.task} ${event.state}`))
      faults.push(`missing ${event.partition}-${event.offset} (${event.task} ${event.state})`);
  }
  return faults;
}

/** True once the client received the terminal event of every one of these tasks. */
export function sawAll(client: SseClient, tasks: ReadonlyMap<string, FinalState>): boolean {
  const done = new Set(
    client.events.filter((e) => e.state === 'completed' || e.state === 'failed').map((e) => e.task),
  );
  return [...tasks.keys()].every((task) => done.has(task));
}

/** Each stored task event's type and Kafka position, by task, for the WebSocket clients' tasks. */
export async function taskHistories(
  url: string,
  connectionId: string,
  tasks: readonly string[],
): Promise<Map<string, { type: string; offset: number }[]>> {
  const rows = await query<{ task_uuid: string; type: string; kafka_offset: string }>(
    url,
    `SELECT task_uuid, type, kafka_offset FROM celeriac.task_events
      WHERE connection_id = $1 AND task_uuid = ANY($2) ORDER BY kafka_offset`,
    [connectionId, tasks],
  );
  const histories = new Map<string, { type: string; offset: number }[]>();
  for (const row of rows) {
    const list = histories.get(row.task_uuid) ?? [];
    list.push({ type: row.type, offset: Number(row.kafka_offset) });
    histories.set(row.task_uuid, list);
  }
  return histories;
}

/**
 * What one WebSocket client got wrong, per task: its last socket (a reopened one replays the whole
 * history) must hold every stored event of the task up to the terminal one, each once, and every
 * earlier socket's frames must be the start of it (nothing seen before is missing after a resume).
 */
export function wsFaults(
  client: WsClient,
  histories: ReadonlyMap<string, readonly { type: string; offset: number }[]>,
): string[] {
  const faults: string[] = [];
  for (const [task, sockets] of client.tasks) {
    const isTerminal = (frame: { type: string }) =>
      frame.type === 'task-succeeded' || frame.type === 'task-failed';
    const lastSocket = sockets.at(-1) ?? [];
    const end = lastSocket.findIndex(isTerminal);
    if (end < 0) continue; // still open at the end of the run: nothing complete to compare
    // Up to the terminal frame, where the client closes; a task-sent that reached Kafka after the
    // worker's last event may still arrive before the close, and is compared no further.
    const last = lastSocket.slice(0, end + 1);
    const terminal = last[end] as { type: string };
    const history = histories.get(task) ?? [];
    const upTo = history.find((event) => event.type === terminal.type)?.offset ?? -1;
    const want = history.filter((event) => event.offset <= upTo).map((event) => event.type);
    const got = last.map((frame) => frame.type);
    if (JSON.stringify(got) !== JSON.stringify(want)) faults.push(`${task}: got ${got} want ${want}`);
    for (const earlier of sockets.slice(0, -1))
      if (earlier.some((frame, i) => frame.type !== got[i]))
        faults.push(`${task}: a resume changed the history`);
  }
  return faults;
}
