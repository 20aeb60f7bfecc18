import { Partitioners } from 'kafkajs';

/**
 * The partition of the events topic that holds a connection's records. The collector produces every
 * record with the connection id as key through kafkajs's default (murmur2) partitioner, so the
 * gateway computes the same function over the same partition count: no lookup, same on every replica.
 */
export function connectionPartitioner(partitionCount: number): (connectionId: string) => number {
  const partition = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const known = new Map<string, number>();
  return (connectionId) => {
    let chosen = known.get(connectionId);
    if (chosen === undefined) {
      chosen = partition({ topic: 'events', partitionMetadata, message: { key: connectionId, value: null } });
      // Bounded: connections are few, but the ids asked about come from authorized requests only.
      if (known.size >= 100_000) known.clear();
      known.set(connectionId, chosen);
    }
    return chosen;
  };
}
