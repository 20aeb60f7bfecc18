import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The collector's Prometheus metrics, one registry per process (tests build their own). */
export function createCollectorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'celeriac_collector_' });
  return {
    registry,
    messages: new Counter({
      name: 'celeriac_collector_broker_messages_total',
      help: 'Broker messages consumed from celeryev queues and acknowledged',
      registers: [registry],
    }),
    events: new Counter({
      name: 'celeriac_collector_events_produced_total',
      help: 'Normalized events acknowledged by Kafka, by source (celery or snapshot)',
      labelNames: ['source'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'celeriac_collector_dead_letters_total',
      help: 'Unusable broker input written to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    produceFailures: new Counter({
      name: 'celeriac_collector_produce_failures_total',
      help: 'Kafka produce calls that failed and were retried',
      registers: [registry],
    }),
    produceSeconds: new Histogram({
      name: 'celeriac_collector_produce_seconds',
      help: 'Time until Kafka acknowledged one batch',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    brokerReconnects: new Counter({
      name: 'celeriac_collector_broker_reconnects_total',
      help: 'Broker connection attempts that failed or connections that dropped',
      registers: [registry],
    }),
    connectedBrokers: new Gauge({
      name: 'celeriac_collector_connected_brokers',
      help: 'Owned connections whose broker session is up',
      registers: [registry],
    }),
    ownedConnections: new Gauge({
      name: 'celeriac_collector_owned_connections',
      help: 'Connections this collector holds a lease on',
      registers: [registry],
    }),
    controlRequests: new Counter({
      name: 'celeriac_collector_control_requests_total',
      help: 'Control gRPC calls, by method and gRPC status code name',
      labelNames: ['method', 'code'],
      registers: [registry],
    }),
    redisDroppedMessages: new Counter({
      name: 'celeriac_collector_redis_dropped_messages_total',
      help: 'Redis event messages dropped because the Kafka-bound buffer was full, by connection',
      labelNames: ['connection_id'],
      registers: [registry],
    }),
    redisDroppedBytes: new Counter({
      name: 'celeriac_collector_redis_dropped_bytes_total',
      help: 'Bytes of Redis event messages dropped because the Kafka-bound buffer was full, by connection',
      labelNames: ['connection_id'],
      registers: [registry],
    }),
    redisGaps: new Counter({
      name: 'celeriac_collector_redis_event_gaps_total',
      help: 'Stretches of Redis events not seen: buffer-full drop episodes, lost subscriptions, subscription starts',
      labelNames: ['connection_id', 'cause'],
      registers: [registry],
    }),
    snapshotFailures: new Counter({
      name: 'celeriac_collector_snapshot_failures_total',
      help: 'Queue-depth or inspect sampling rounds that failed',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof createCollectorMetrics>;
