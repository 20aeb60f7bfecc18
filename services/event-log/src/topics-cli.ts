import { parseConfig } from '@celeriac/service-runtime/config';
import { createLogger } from '@celeriac/service-runtime/logger';
import { createKafka } from './kafka';
import { kafkaSecurityOf } from './kafka-config';
import { ensureTopics } from './topics';
import { topicsConfigSchema } from './topics-config';

// `node --import tsx services/event-log/src/topics-cli.ts` (`celeriac topics` in the image): creates
// the event-log topics before the services start (run beside the database migration: locally by
// npm start, in k8s by the migrate Job).
// Existing topics are left as they are.
const config = parseConfig(topicsConfigSchema, process.env);
const logger = createLogger({ service: 'topics', level: config.CELERIAC_LOG_LEVEL });
// The same TLS/SASL settings as the services: a broker that requires them must let this step in too.
const kafka = createKafka({
  clientId: 'celeriac-topics',
  brokers: config.CELERIAC_KAFKA_BROKERS,
  logger,
  security: kafkaSecurityOf(config),
});
const retentionMs = String(config.CELERIAC_EVENTS_RETENTION_HOURS * 3_600_000);
try {
  await ensureTopics(kafka, [
    {
      topic: config.CELERIAC_EVENTS_TOPIC,
      numPartitions: config.CELERIAC_EVENTS_PARTITIONS,
      replicationFactor: config.CELERIAC_TOPIC_REPLICATION,
      configEntries: [{ name: 'retention.ms', value: retentionMs }],
    },
    {
      topic: config.CELERIAC_DEAD_LETTER_TOPIC,
      numPartitions: 1,
      replicationFactor: config.CELERIAC_TOPIC_REPLICATION,
      configEntries: [{ name: 'retention.ms', value: retentionMs }],
    },
  ]);
  logger.info(
    { events: config.CELERIAC_EVENTS_TOPIC, deadLetter: config.CELERIAC_DEAD_LETTER_TOPIC },
    'topics ready',
  );
} catch (error) {
  logger.error({ err: error }, 'could not create the topics');
  process.exitCode = 1;
}
