import type { PoolClient } from 'pg';
import { type QueueSample, rowKey } from './batch-fold';

/** Latest depth per queue (newest sample wins, whatever the delivery order) and the sample series. */
export async function writeQueueSamples(client: PoolClient, samples: QueueSample[]): Promise<void> {
  if (samples.length === 0) return;
  const latest = new Map<string, QueueSample>();
  for (const sample of samples) {
    const key = rowKey(sample.connectionId, sample.name);
    const seen = latest.get(key);
    if (!seen || sample.sampledAtMs >= seen.sampledAtMs) latest.set(key, sample);
  }
  const params = (list: QueueSample[]) => [
    list.map((s) => s.connectionId),
    list.map((s) => s.name),
    list.map((s) => s.messages),
    list.map((s) => s.consumers),
    list.map((s) => s.sampledAtMs / 1000),
  ];
  await client.query(
    `INSERT INTO celeriac.queue_samples (connection_id, name, messages, consumers, sampled_at)
     SELECT c, n, m, k, to_timestamp(s) FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::int8[], $5::float8[]) AS x(c, n, m, k, s)
     ON CONFLICT DO NOTHING`,
    params(samples),
  );
  await client.query(
    `INSERT INTO celeriac.queues (connection_id, name, messages, consumers, sampled_at)
     SELECT c, n, m, k, to_timestamp(s) FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::int8[], $5::float8[]) AS x(c, n, m, k, s)
     ON CONFLICT (connection_id, name) DO UPDATE SET messages = EXCLUDED.messages, consumers = EXCLUDED.consumers, sampled_at = EXCLUDED.sampled_at
     WHERE celeriac.queues.sampled_at <= EXCLUDED.sampled_at`,
    params([...latest.values()]),
  );
}

/** Task names seen; first_seen_at keeps the earliest event time, so it is the same after any replay. */
export async function writeTaskTypes(
  client: PoolClient,
  types: { connectionId: string; name: string; firstSeenMs: number }[],
): Promise<void> {
  if (types.length === 0) return;
  await client.query(
    `INSERT INTO celeriac.task_types (connection_id, name, first_seen_at)
     SELECT c, n, to_timestamp(s) FROM unnest($1::uuid[], $2::text[], $3::float8[]) AS x(c, n, s)
     ON CONFLICT (connection_id, name) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at
     WHERE celeriac.task_types.first_seen_at > EXCLUDED.first_seen_at`,
    [types.map((t) => t.connectionId), types.map((t) => t.name), types.map((t) => t.firstSeenMs / 1000)],
  );
}

/**
 * Locks the partition's position row for this transaction and returns the next offset to apply.
 * The row lock fences a replica that still processes a partition it lost in a rebalance.
 */
export async function lockPosition(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
): Promise<number> {
  await client.query(
    `INSERT INTO celeriac.projector_offsets (consumer_group, topic, kafka_partition, next_offset) VALUES ($1, $2, $3, 0)
     ON CONFLICT DO NOTHING`,
    [group, topic, partition],
  );
  const { rows } = await client.query<{ next_offset: string }>(
    `SELECT next_offset FROM celeriac.projector_offsets WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3 FOR UPDATE`,
    [group, topic, partition],
  );
  return Number(rows[0]?.next_offset ?? 0);
}

export async function savePosition(
  client: PoolClient,
  group: string,
  topic: string,
  partition: number,
  nextOffset: number,
): Promise<void> {
  await client.query(
    `UPDATE celeriac.projector_offsets SET next_offset = $4, updated_at = now()
     WHERE consumer_group = $1 AND topic = $2 AND kafka_partition = $3`,
    [group, topic, partition, nextOffset],
  );
}

/** Stored positions of a group on a topic, for seeking after (re)assignment. */
export async function readPositions(
  client: Pick<PoolClient, 'query'>,
  group: string,
  topic: string,
): Promise<Map<number, number>> {
  const { rows } = await client.query<{ kafka_partition: number; next_offset: string }>(
    'SELECT kafka_partition, next_offset FROM celeriac.projector_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return new Map(rows.map((row) => [row.kafka_partition, Number(row.next_offset)]));
}
