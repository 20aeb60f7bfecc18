import type { Consumer, Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';

/**
 * How many bytes this replica reads from Kafka: the size of every Fetch response its consumers get
 * (records, batch headers and the empty answers of long polls), as kafkajs reports each completed
 * request. Peers exist to make the tier read each event once, so this is the figure that shows it;
 * the broker's own byte counters cannot tell one client from another.
 */
export function meterKafkaReads(kafka: Kafka, registry: Registry): Kafka {
  const fetched = new Counter({
    name: 'celeriac_gateway_kafka_fetch_bytes_total',
    help: 'Bytes of Kafka Fetch responses read by this replica (live tails, catch-ups, relay sources)',
    registers: [registry],
  });
  const fetches = new Counter({
    name: 'celeriac_gateway_kafka_fetches_total',
    help: 'Kafka Fetch responses read by this replica',
    registers: [registry],
  });
  const meter = (consumer: Consumer): Consumer => {
    consumer.on(consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName !== 'Fetch') return;
      fetched.inc(payload.size);
      fetches.inc();
    });
    return consumer;
  };
  // Every other method is the client's own (Object.create keeps `this` and its private state).
  const metered = Object.create(kafka) as Kafka;
  metered.consumer = (config) => meter(kafka.consumer(config));
  return metered;
}
