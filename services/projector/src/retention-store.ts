import type { PoolClient } from 'pg';

/** A connection with rows in the read models and the number of days they are kept. */
export interface RetentionTarget {
  connectionId: string;
  days: number;
}

/**
 * Every connection that has tasks or workers, with its retention. Connection ids whose row was
 * deleted keep the default, so a removed tenant's data still ages out. The distinct ids of tasks
 * come from a skip scan of its primary key (one index probe per connection, not a table scan).
 */
export async function retentionTargets(client: PoolClient, defaultDays: number): Promise<RetentionTarget[]> {
  const { rows } = await client.query<{ connection_id: string; days: number }>(
    `WITH RECURSIVE task_ids AS (
       (SELECT connection_id FROM celeriac.tasks ORDER BY connection_id LIMIT 1)
       UNION ALL
       SELECT (SELECT t.connection_id FROM celeriac.tasks t WHERE t.connection_id > task_ids.connection_id
               ORDER BY t.connection_id LIMIT 1)
       FROM task_ids WHERE task_ids.connection_id IS NOT NULL),
     ids AS (
       SELECT connection_id FROM task_ids WHERE connection_id IS NOT NULL
       UNION SELECT connection_id FROM celeriac.workers
       UNION SELECT connection_id FROM celeriac.queues
       UNION SELECT connection_id FROM celeriac.connections)
     SELECT ids.connection_id, coalesce(c.retention_days, $1)::int AS days
     FROM ids LEFT JOIN celeriac.connections c USING (connection_id) ORDER BY 1`,
    [defaultDays],
  );
  return rows.map((row) => ({ connectionId: row.connection_id, days: row.days }));
}

/**
 * The selection walks tasks_by_timestamp (its order, DESC NULLS LAST, must match or PostgreSQL sorts
 * the whole connection); the delete finds the chosen rows by primary key (`= ANY`, never a join that
 * may hash the whole table). Exported so the benchmark can EXPLAIN exactly this statement.
 */
export const DELETE_OLD_TASKS = `WITH doomed AS (
    SELECT uuid FROM celeriac.tasks
    WHERE connection_id = $1 AND "timestamp" < $2 AND "timestamp" <= $3 AND (last_ts IS NULL OR last_ts < $2)
    ORDER BY "timestamp" DESC NULLS LAST LIMIT $4 FOR UPDATE SKIP LOCKED),
  gone AS (
    DELETE FROM celeriac.tasks WHERE connection_id = $1 AND uuid = ANY (ARRAY(SELECT uuid FROM doomed))
    RETURNING "timestamp")
  SELECT min("timestamp") AS oldest, count(*)::int AS deleted FROM gone`;

/**
 * Deletes up to `limit` tasks whose newest event is older than `cutoffS` (epoch seconds), newest
 * first, below `belowS` (the oldest time the previous batch deleted, so a batch never walks over
 * the index entries its predecessors left dead). Rows a projector batch holds are skipped, never
 * waited for: the projector never waits more than one retention batch and never deadlocks with it.
 */
export async function deleteOldTasks(
  client: PoolClient,
  args: { connectionId: string; cutoffS: number; belowS: number; limit: number },
): Promise<{ deleted: number; oldestS: number | null }> {
  const { rows } = await client.query<{ oldest: number | null; deleted: number }>(DELETE_OLD_TASKS, [
    args.connectionId,
    args.cutoffS,
    args.belowS,
    args.limit,
  ]);
  return { deleted: rows[0]?.deleted ?? 0, oldestS: rows[0]?.oldest ?? null };
}

/** Deletes up to `limit` workers with no heartbeat, offline event or inspect reply since `cutoffMs`. */
export async function deleteOldWorkers(
  client: PoolClient,
  args: { connectionId: string; cutoffMs: number; limit: number },
): Promise<number> {
  const result = await client.query(
    `WITH doomed AS (
       SELECT hostname FROM celeriac.workers
       WHERE connection_id = $1
         AND greatest(first_seen_at, last_heartbeat_at, offline_at, inspected_at) < to_timestamp($2 / 1000.0)
       LIMIT $3 FOR UPDATE SKIP LOCKED)
     DELETE FROM celeriac.workers WHERE connection_id = $1 AND hostname = ANY (ARRAY(SELECT hostname FROM doomed))`,
    [args.connectionId, args.cutoffMs, args.limit],
  );
  return result.rowCount ?? 0;
}

/**
 * Deletes up to `limit` queue depth samples taken before `cutoffMs`, found through
 * queue_samples_by_time and deleted by row address (samples are never updated, so it is stable).
 */
export async function deleteOldSamples(
  client: PoolClient,
  args: { connectionId: string; cutoffMs: number; limit: number },
): Promise<number> {
  const result = await client.query(
    `DELETE FROM celeriac.queue_samples WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM celeriac.queue_samples
       WHERE connection_id = $1 AND sampled_at < to_timestamp($2 / 1000.0) ORDER BY sampled_at LIMIT $3))`,
    [args.connectionId, args.cutoffMs, args.limit],
  );
  return result.rowCount ?? 0;
}

/**
 * Deletes up to `limit` history rows received before `cutoffMs`. Only connections kept shorter than
 * the history's partitions need this; the condition on received_at prunes to the old partitions.
 */
export async function deleteOldHistory(
  client: PoolClient,
  args: { connectionId: string; cutoffMs: number; limit: number },
): Promise<number> {
  const result = await client.query(
    `WITH doomed AS (
       SELECT event_id FROM celeriac.task_events
       WHERE connection_id = $1 AND received_at < to_timestamp($2 / 1000.0) LIMIT $3)
     DELETE FROM celeriac.task_events
     WHERE connection_id = $1 AND event_id = ANY (ARRAY(SELECT event_id FROM doomed))
       AND received_at < to_timestamp($2 / 1000.0)`,
    [args.connectionId, args.cutoffMs, args.limit],
  );
  return result.rowCount ?? 0;
}
