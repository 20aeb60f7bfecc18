import type { TaskRow } from '@celeriac/celery-domain/task-row';
import type { PoolClient } from 'pg';
import { rowKey } from './batch-fold';

// Column order shared by the upsert's unnest list and the values it is given.
const COLUMNS: [column: string, sqlType: string, read: (row: TaskRow) => unknown][] = [
  ['connection_id', 'uuid', (r) => r.connectionId],
  ['uuid', 'text', (r) => r.uuid],
  ['name', 'text', (r) => r.name],
  ['state', 'text', (r) => r.state],
  ['sent', 'float8', (r) => r.sent],
  ['received', 'float8', (r) => r.received],
  ['started', 'float8', (r) => r.started],
  ['succeeded', 'float8', (r) => r.succeeded],
  ['failed', 'float8', (r) => r.failed],
  ['retried', 'float8', (r) => r.retried],
  ['revoked', 'float8', (r) => r.revoked],
  ['rejected', 'float8', (r) => r.rejected],
  ['timestamp', 'float8', (r) => r.timestamp],
  ['args', 'text', (r) => r.args],
  ['kwargs', 'text', (r) => r.kwargs],
  ['result', 'text', (r) => r.result],
  ['exception', 'text', (r) => r.exception],
  ['traceback', 'text', (r) => r.traceback],
  ['eta', 'text', (r) => r.eta],
  ['expires', 'text', (r) => r.expires],
  ['retries', 'int4', (r) => r.retries],
  ['worker', 'text', (r) => r.worker],
  ['client', 'text', (r) => r.client],
  ['runtime', 'float8', (r) => r.runtime],
  ['exchange', 'text', (r) => r.exchange],
  ['routing_key', 'text', (r) => r.routingKey],
  ['queue', 'text', (r) => r.queue],
  ['root_id', 'text', (r) => r.rootId],
  ['parent_id', 'text', (r) => r.parentId],
  ['clock', 'int8', (r) => r.clock],
  ['extra', 'jsonb', (r) => JSON.stringify(r.extra)],
  ['custom_state', 'text', (r) => r.customState],
  ['custom_ts', 'float8', (r) => r.customTs],
  ['last_ts', 'float8', (r) => r.lastTs],
];

const quoted = (column: string) => (column === 'timestamp' ? '"timestamp"' : column);
const UPSERT_SQL = `
  INSERT INTO celeriac.tasks (${COLUMNS.map(([c]) => quoted(c)).join(', ')}, last_event_at)
  SELECT *, to_timestamp(u.last_ts) FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
    AS u(${COLUMNS.map(([c]) => quoted(c)).join(', ')})
  ON CONFLICT (connection_id, uuid) DO UPDATE SET
  ${[...COLUMNS.slice(2).map(([c]) => `${quoted(c)} = EXCLUDED.${quoted(c)}`), 'last_event_at = EXCLUDED.last_event_at'].join(', ')}`;

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function fromDb(row: Record<string, unknown>): TaskRow {
  const text = (key: string) => (row[key] ?? null) as string | null;
  return {
    connectionId: row.connection_id as string,
    uuid: row.uuid as string,
    name: text('name'),
    state: row.state as string,
    sent: num(row.sent),
    received: num(row.received),
    started: num(row.started),
    succeeded: num(row.succeeded),
    failed: num(row.failed),
    retried: num(row.retried),
    revoked: num(row.revoked),
    rejected: num(row.rejected),
    timestamp: num(row.timestamp),
    args: text('args'),
    kwargs: text('kwargs'),
    result: text('result'),
    exception: text('exception'),
    traceback: text('traceback'),
    eta: text('eta'),
    expires: text('expires'),
    retries: num(row.retries),
    worker: text('worker'),
    client: text('client'),
    runtime: num(row.runtime),
    exchange: text('exchange'),
    routingKey: text('routing_key'),
    queue: text('queue'),
    rootId: text('root_id'),
    parentId: text('parent_id'),
    children: (row.children as string[]) ?? [],
    clock: num(row.clock),
    extra: (row.extra as Record<string, unknown>) ?? {},
    customState: text('custom_state'),
    customTs: num(row.custom_ts),
    lastTs: num(row.last_ts),
  };
}

/** Groups keys by connection: `connection_id = $1 AND id = ANY($2)` is a plain index scan at any table size. */
export function byConnection<K extends { connectionId: string }>(
  keys: K[],
  id: (key: K) => string,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const list = groups.get(key.connectionId);
    if (list) list.push(id(key));
    else groups.set(key.connectionId, [id(key)]);
  }
  return groups;
}

/** The stored rows of the given tasks, keyed by rowKey(connectionId, uuid). */
export async function loadTasks(
  client: PoolClient,
  keys: { connectionId: string; uuid: string }[],
): Promise<Map<string, TaskRow>> {
  const found = new Map<string, TaskRow>();
  for (const [connectionId, uuids] of byConnection(keys, (k) => k.uuid)) {
    const { rows } = await client.query(
      'SELECT * FROM celeriac.tasks WHERE connection_id = $1 AND uuid = ANY($2::text[])',
      [connectionId, uuids],
    );
    for (const row of rows) {
      const task = fromDb(row);
      found.set(rowKey(task.connectionId, task.uuid), task);
    }
  }
  return found;
}

export async function upsertTasks(client: PoolClient, tasks: TaskRow[]): Promise<void> {
  if (tasks.length === 0) return;
  await client.query(
    UPSERT_SQL,
    COLUMNS.map(([, , read]) => tasks.map(read)),
  );
}

/**
 * Children are recomputed from parent_id rather than appended, so replays and reordering agree.
 * `parents` are tasks named as parent by folded events; `created` are tasks new in this batch, which
 * may have children that arrived first: only those that really have some are recomputed.
 */
export async function refreshChildren(
  client: PoolClient,
  parents: { connectionId: string; uuid: string }[],
  created: { connectionId: string; uuid: string }[],
): Promise<void> {
  const targets = new Map(parents.map((p) => [rowKey(p.connectionId, p.uuid), p]));
  for (const [connectionId, uuids] of byConnection(created, (c) => c.uuid)) {
    const { rows } = await client.query<{ parent_id: string }>(
      'SELECT DISTINCT parent_id FROM celeriac.tasks WHERE connection_id = $1 AND parent_id = ANY($2::text[])',
      [connectionId, uuids],
    );
    for (const row of rows)
      targets.set(rowKey(connectionId, row.parent_id), { connectionId, uuid: row.parent_id });
  }
  if (targets.size === 0) return;
  const list = [...targets.values()];
  await client.query(
    `WITH kids AS (
       SELECT t.connection_id, t.uuid, coalesce((SELECT array_agg(c.uuid ORDER BY c.uuid) FROM celeriac.tasks c
         WHERE c.connection_id = t.connection_id AND c.parent_id = t.uuid), '{}') AS children
       FROM unnest($1::uuid[], $2::text[]) AS t(connection_id, uuid))
     UPDATE celeriac.tasks p SET children = kids.children FROM kids
     WHERE p.connection_id = kids.connection_id AND p.uuid = kids.uuid AND p.children IS DISTINCT FROM kids.children`,
    [list.map((p) => p.connectionId), list.map((p) => p.uuid)],
  );
}

/** How far back a redelivered event's original is looked for; the window prunes history partitions. */
export const DEDUPE_WINDOW_MS = 24 * 3_600_000;

/**
 * Event ids among `keys` already in the history: redeliveries to skip. A redelivery is received after
 * its original, so only partitions from a day before the batch's earliest receive time are searched.
 */
export async function knownEventIds(
  client: PoolClient,
  keys: { connectionId: string; eventId: string; receivedAtMs: number }[],
): Promise<Set<string>> {
  const known = new Set<string>();
  if (keys.length === 0) return known;
  const since = new Date(
    keys.reduce((min, k) => Math.min(min, k.receivedAtMs), Number.POSITIVE_INFINITY) - DEDUPE_WINDOW_MS,
  );
  for (const [connectionId, eventIds] of byConnection(keys, (k) => k.eventId)) {
    const { rows } = await client.query<{ event_id: string }>(
      'SELECT event_id FROM celeriac.task_events WHERE connection_id = $1 AND event_id = ANY($2::text[]) AND received_at >= $3',
      [connectionId, eventIds, since],
    );
    for (const row of rows) known.add(rowKey(connectionId, row.event_id));
  }
  return known;
}
