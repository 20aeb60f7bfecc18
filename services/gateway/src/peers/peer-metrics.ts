import { Counter, Gauge, type Registry } from 'prom-client';

/** What an operator checks to see the relays at work: how many, and how often a replica reads Kafka instead. */
export function createPeerMetrics(registry: Registry) {
  return {
    relays: new Gauge({
      name: 'celeriac_gateway_peer_relays',
      help: 'Open relay streams: served to other replicas (side="served") or received from owners (side="received")',
      labelNames: ['side'],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'celeriac_gateway_peer_fallbacks_total',
      help: 'Times a replica read a partition from Kafka itself because the owner did not answer',
      registers: [registry],
    }),
    ownedPartitions: new Gauge({
      name: 'celeriac_gateway_peer_partitions',
      help: 'Partitions of the events topic this replica reads from Kafka (owned, or kept for its own clients)',
      registers: [registry],
    }),
  };
}

export type PeerMetrics = ReturnType<typeof createPeerMetrics>;
