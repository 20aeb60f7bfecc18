import { kafkaSecurityFields } from '@celeriac/event-log/kafka-config';
import { DEFAULT_EVENTS_TOPIC } from '@celeriac/proto/topics';
import { commaList } from '@celeriac/service-runtime/config';
import { dependencyProbeKnobs } from '@celeriac/service-runtime/dependency-probe';
import { pgTimeoutKnobs } from '@celeriac/service-runtime/pg-pool';
import { z } from 'zod';

/** The projector's environment; parsed once in main.ts with parseConfig. */
export const projectorConfigSchema = z.object({
  /** PostgreSQL URL of the read models (required). */
  CELERIAC_DATABASE_URL: z.string().min(1),
  /** Kafka bootstrap brokers, comma separated (required). */
  CELERIAC_KAFKA_BROKERS: commaList,
  /** Topic of the event log. Default celeriac.events. */
  CELERIAC_EVENTS_TOPIC: z.string().min(1).default(DEFAULT_EVENTS_TOPIC),
  /** Consumer group shared by all projector replicas; also the key of the stored positions. */
  CELERIAC_PROJECTOR_GROUP: z.string().min(1).default('celeriac-projector'),
  /** Port of /metrics, /healthz, /readyz. Default 9102. */
  CELERIAC_PROJECTOR_OPS_PORT: z.coerce.number().int().min(0).max(65535).default(9102),
  /** Interface the ops server binds. Default 0.0.0.0. */
  CELERIAC_PROJECTOR_OPS_HOST: z.string().default('0.0.0.0'),
  /** Most log records applied in one PostgreSQL transaction. Default 5000. */
  CELERIAC_PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(20_000).default(5000),
  /** Partitions one replica applies in parallel (each holds a pool connection). Default 2. */
  CELERIAC_PROJECTOR_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /**
   * Days of tasks, workers and task event history kept for a connection whose retention_days is
   * NULL (the default of every connection). Default 30.
   */
  CELERIAC_PROJECTOR_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Milliseconds between retention passes (one replica at a time). Default 600000 (10 min). */
  CELERIAC_PROJECTOR_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000).default(600_000),
  /** Rows one retention delete batch (one short transaction) removes at most. Default 2000. */
  CELERIAC_PROJECTOR_RETENTION_BATCH: z.coerce.number().int().min(10).max(100_000).default(2000),
  /**
   * Seconds after which an offline worker is removed from the read model and its metric series,
   * like Flower's purge_offline_workers. Default 0: off, as in Flower (retention still removes it).
   */
  CELERIAC_PROJECTOR_PURGE_OFFLINE_WORKERS_S: z.coerce.number().int().min(0).default(0),
  /** Distinct values of one event label (worker, task, type) per connection; more become `other`. Default 250. */
  CELERIAC_PROJECTOR_METRIC_LABEL_VALUES: z.coerce.number().int().min(1).max(100_000).default(250),
  /** Label sets one event metric holds per connection; more are recorded under `other`. Default 2000. */
  CELERIAC_PROJECTOR_METRIC_SERIES: z.coerce.number().int().min(1).max(1_000_000).default(2000),
  /** Bytes of label values and label sets the event metrics keep per connection. Default 524288 (512 KiB). */
  CELERIAC_PROJECTOR_METRIC_LABEL_BYTES: z.coerce.number().int().min(4096).default(524_288),
  /** Daily history partitions created ahead of today. Default 3. */
  CELERIAC_PROJECTOR_PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(60).default(3),
  /** Milliseconds between sweeps (worker expiry, worker gauges). Default 2000, Celery's heartbeat period. */
  CELERIAC_PROJECTOR_SWEEP_MS: z.coerce.number().int().min(100).default(2000),
  /** Milliseconds between partition maintenance runs. Default 600000 (10 min). */
  CELERIAC_PROJECTOR_PARTITION_MAINTENANCE_MS: z.coerce.number().int().min(1000).default(600_000),
  /** PostgreSQL pool size. Default 5. */
  CELERIAC_PROJECTOR_PG_POOL: z.coerce.number().int().min(2).max(100).default(5),
  /** pino level. Default info. */
  CELERIAC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ...kafkaSecurityFields,
  /** PostgreSQL connect/statement/query/idle timeouts (see service-runtime pg-pool.ts). */
  ...pgTimeoutKnobs,
  /** How often PostgreSQL and Kafka are checked for /readyz (see service-runtime dependency-probe.ts). */
  ...dependencyProbeKnobs,
});

export type ProjectorConfig = z.infer<typeof projectorConfigSchema>;
