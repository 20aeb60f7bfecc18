/** The peers benchmark's workload: task lifecycles at a fixed rate over connections spread on partitions. */
import { randomUUID } from 'node:crypto';
import { connectionPartitioner } from '@celeriac/gateway/peers/connection-partition';
import { taskLifecycle } from '@celeriac/gateway/streams/event-fixtures';
import type { createEventProducer } from '@celeriac/gateway/streams/live-streams.testkit';
import type { CeleryEvent } from '@celeriac/proto/events';
import { sleep } from './stack-measures';

type Producer = Awaited<ReturnType<typeof createEventProducer>>;

/**
 * `count` connection ids, one per partition first (as the collector keys records by connection), so
 * the live traffic lands on every partition and thus on every replica's share.
 */
export function connectionsOverPartitions(
  count: number,
  partitions: number,
): { id: string; partition: number }[] {
  const partitionOf = connectionPartitioner(partitions);
  const picked: { id: string; partition: number }[] = [];
  const covered = new Set<number>();
  while (picked.length < count) {
    const id = randomUUID();
    const partition = partitionOf(id);
    if (covered.size < partitions && covered.has(partition)) continue;
    covered.add(partition);
    picked.push({ id, partition });
  }
  return picked;
}

export interface Ingested {
  /** Stamp (and produce time) of the first and last batch. */
  from: number;
  to: number;
  events: number;
  /** Events per connection id. */
  perConnection: Map<string, number>;
  /** Per batch: milliseconds from its stamp until Kafka acknowledged it (part of every latency). */
  produceMs: number[];
}

/**
 * Produces `rate` events/s for `seconds`: every 20 ms a batch of whole task lifecycles (4 events,
 * each one job:state_change for a `types=job` client), connections taken in turn. Each event is
 * stamped with the time its batch is produced, which is what the clients' latency is measured from.
 */
export async function ingest(
  producer: Producer,
  connections: readonly string[],
  rate: number,
  seconds: number,
): Promise<Ingested> {
  const tickMs = 20;
  const perConnection = new Map(connections.map((id) => [id, 0]));
  const started = Date.now();
  let events = 0;
  let turn = 0;
  let last = started;
  const produceMs: number[] = [];
  while (Date.now() - started < seconds * 1000) {
    const tickStart = Date.now();
    // Catch up on timer drift so the mean rate is `rate`.
    const due = Math.round(((tickStart - started + tickMs) / 1000) * rate) - events;
    const batch: CeleryEvent[] = [];
    while (batch.length < due) {
      const connectionId = connections[turn % connections.length] as string;
      turn += 1;
      batch.push(...taskLifecycle(connectionId, randomUUID(), tickStart));
      perConnection.set(connectionId, (perConnection.get(connectionId) ?? 0) + 4);
    }
    if (batch.length > 0) {
      await producer.sendBatch(batch);
      produceMs.push(Date.now() - tickStart);
    }
    events += batch.length;
    last = tickStart;
    const wait = tickMs - (Date.now() - tickStart);
    if (wait > 0) await sleep(wait);
  }
  return { from: started, to: last, events, perConnection, produceMs };
}
