import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { connectionPartitioner } from './connection-partition';

describe('the partition of a connection', () => {
  it('is the one the collector\u2019s producer picks for the connection id as key', () => {
    const producerPick = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    const partitionOf = connectionPartitioner(12);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const id = randomUUID();
      const expected = producerPick({
        topic: 'celeriac.events',
        partitionMetadata,
        message: { key: id, value: null },
      });
      expect(partitionOf(id)).toBe(expected);
      seen.add(expected);
    }
    expect(seen.size).toBe(12);
  });
});
