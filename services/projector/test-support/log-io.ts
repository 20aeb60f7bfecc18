import { encodeEvent } from '@celeriac/event-log/codec';
import type { CeleryEvent } from '@celeriac/proto/events';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/** Test-side Kafka access: produce events (or raw bytes) keyed by connection, read end offsets. */
export function createLogIo(brokers: string[]) {
  const kafka = new Kafka({ clientId: 'projector-test', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const admin = kafka.admin();
  return {
    async connect() {
      await producer.connect();
      await admin.connect();
    },
    async close() {
      await producer.disconnect();
      await admin.disconnect();
    },
    async produce(topic: string, events: (CeleryEvent | { key: string; raw: Buffer })[], chunk = 1500) {
      for (let start = 0; start < events.length; start += chunk) {
        const messages = events
          .slice(start, start + chunk)
          .map((event) =>
            'raw' in event
              ? { key: event.key, value: event.raw }
              : { key: event.connectionId, value: encodeEvent(event) },
          );
        await producer.send({ topic, messages, acks: -1 });
      }
    },
    /** Sum of the partitions' end offsets: the projector is caught up when its positions add up to it. */
    async endOffset(topic: string): Promise<number> {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    },
  };
}

/** Sum of the stored next offsets of a group on a topic. */
export async function appliedOffset(databaseUrl: string, group: string, topic: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ total: string | null }>(
      'SELECT sum(next_offset) AS total FROM celeriac.projector_offsets WHERE consumer_group = $1 AND topic = $2',
      [group, topic],
    );
    return Number(rows[0]?.total ?? 0);
  } finally {
    await client.end();
  }
}

/** Every read-model table, rows sorted, for row-by-row comparison between two databases. */
export async function snapshotTables(databaseUrl: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const orders: Record<string, string> = {
    tasks: 'connection_id, uuid',
    task_events: 'connection_id, event_id',
    workers: 'connection_id, hostname',
    queues: 'connection_id, name',
    queue_samples: 'connection_id, name, sampled_at',
    task_types: 'connection_id, name',
    projector_offsets: 'topic, kafka_partition',
  };
  try {
    const snapshot: Record<string, unknown[]> = {};
    for (const [table, order] of Object.entries(orders)) {
      // updated_at is wall-clock bookkeeping of the offsets row, not projected data.
      const columns = table === 'projector_offsets' ? 'topic, kafka_partition, next_offset' : '*';
      snapshot[table] = (
        await client.query(`SELECT ${columns} FROM celeriac.${table} ORDER BY ${order}`)
      ).rows;
    }
    return snapshot;
  } finally {
    await client.end();
  }
}
