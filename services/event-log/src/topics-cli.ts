import { DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_EVENTS_TOPIC } from '@celeriac/proto/topics';
import { commaList, parseConfig } from '@celeriac/service-runtime/config';
import { createLogger } from '@celeriac/service-runtime/logger';
import { z } from 'zod';
import { createKafka } from './kafka';
import { ensureTopics } from './topics';

// `node --import tsx services/event-log/src/topics-cli.ts` (`celeriac topics` in the image): creates
// the event-log topics before the services start (run beside the database migration: locally by
// npm start, in k8s by the migrate Job).
// Existing topics are left as they are.
const config = parseConfig(
  z.object({
    // Kafka bootstrap brokers, comma-separated. Required.
    CELERIAC_KAFKA_BROKERS: commaList,
    // Topic names. Defaults celeriac.events / celeriac.deadletter.
    CELERIAC_EVENTS_TOPIC: z.string().min(1).default(DEFAULT_EVENTS_TOPIC),
    CELERIAC_DEAD_LETTER_TOPIC: z.string().min(1).default(DEFAULT_DEAD_LETTER_TOPIC),
    // Partitions of the events topic: the projector group's parallelism ceiling. Default 6.
    CELERIAC_EVENTS_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
    // Replication factor: 1 on a single local broker, 3 in production. Default 1.
    CELERIAC_TOPIC_REPLICATION: z.coerce.number().int().min(1).max(10).default(1),
    // How long the log keeps events, hours; PostgreSQL keeps the history beyond it. Default 168 (7 days).
    CELERIAC_EVENTS_RETENTION_HOURS: z.coerce.number().int().min(1).default(168),
    CELERIAC_LOG_LEVEL: z.string().default('info'),
  }),
  process.env,
);
const logger = createLogger({ service: 'topics', level: config.CELERIAC_LOG_LEVEL });
const kafka = createKafka({ clientId: 'celeriac-topics', brokers: config.CELERIAC_KAFKA_BROKERS, logger });
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
