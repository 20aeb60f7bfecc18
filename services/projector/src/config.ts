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
  /** Days of task event history kept; older daily partitions are dropped whole. Default 30. */
  CELERIAC_PROJECTOR_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
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
  /** PostgreSQL connect/statement/query/idle timeouts (see service-runtime pg-pool.ts). */
  ...pgTimeoutKnobs,
  /** How often PostgreSQL and Kafka are checked for /readyz (see service-runtime dependency-probe.ts). */
  ...dependencyProbeKnobs,
});

export type ProjectorConfig = z.infer<typeof projectorConfigSchema>;
