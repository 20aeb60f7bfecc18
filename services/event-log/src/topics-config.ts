import { DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_EVENTS_TOPIC } from '@celeriac/proto/topics';
import { commaList } from '@celeriac/service-runtime/config';
import { z } from 'zod';
import { kafkaSecurityFields } from './kafka-config';

/** The environment of topics-cli.ts (its own module so deployment checks and docs can read it). */
export const topicsConfigSchema = z.object({
  /** Kafka bootstrap brokers, comma-separated. Required. */
  CELERIAC_KAFKA_BROKERS: commaList,
  /** Topic of normalized events. Default celeriac.events. */
  CELERIAC_EVENTS_TOPIC: z.string().min(1).default(DEFAULT_EVENTS_TOPIC),
  /** Topic of broker input that could not be used. Default celeriac.deadletter. */
  CELERIAC_DEAD_LETTER_TOPIC: z.string().min(1).default(DEFAULT_DEAD_LETTER_TOPIC),
  /** Partitions of the events topic: the projector group's parallelism ceiling. Default 6. */
  CELERIAC_EVENTS_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  /** Replication factor: 1 on a single local broker, 3 in production. Default 1. */
  CELERIAC_TOPIC_REPLICATION: z.coerce.number().int().min(1).max(10).default(1),
  /** How long the log keeps events, hours; PostgreSQL keeps the history beyond it. Default 168 (7 days). */
  CELERIAC_EVENTS_RETENTION_HOURS: z.coerce.number().int().min(1).default(168),
  /** Log level (pino). Default info. */
  CELERIAC_LOG_LEVEL: z.string().default('info'),
  ...kafkaSecurityFields,
});
