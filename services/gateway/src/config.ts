import { booleanFlag, commaList } from '@celeriac/service-runtime/config';
import { dependencyProbeKnobs } from '@celeriac/service-runtime/dependency-probe';
import { pgTimeoutKnobs } from '@celeriac/service-runtime/pg-pool';
import { z } from 'zod';

/** The gateway's environment. Parsed once, in main.ts, with parseConfig. */
export const gatewayConfigSchema = z.object({
  /** PostgreSQL with the read models and tenancy tables. Required. */
  CELERIAC_DATABASE_URL: z.string().min(1),
  /** Kafka bootstrap brokers, comma-separated; the live streams tail the events topic. Required. */
  CELERIAC_KAFKA_BROKERS: commaList,
  /** Topic of Celery events. Default celeriac.events. */
  CELERIAC_EVENTS_TOPIC: z.string().min(1).default('celeriac.events'),
  /** base64 of 32 bytes; needed only to add connections through /api/v1/connections. */
  CELERIAC_SECRET_KEY: z.string().min(1).optional(),
  /** HTTP port. Default 8080. */
  CELERIAC_GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** HTTP bind address. Default 0.0.0.0. */
  CELERIAC_GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * Explicit opt-in to serve the API without keys (every caller is an all-connections admin), like
   * Flower's FLOWER_UNAUTHENTICATED_API. Default false.
   */
  CELERIAC_AUTH_DISABLED: booleanFlag.default(false),
  /** Connection used when a request names none and its key sees several. Optional UUID. */
  CELERIAC_DEFAULT_CONNECTION: z.uuid().optional(),
  /** Maximum tasks in one /api/tasks response, so memory stays bounded. Default 10000. */
  CELERIAC_GATEWAY_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(100_000).default(10_000),
  /** Seconds POST /api/task/apply waits for a result before answering with the current state. Default 300. */
  CELERIAC_GATEWAY_APPLY_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  /** PostgreSQL pool size per replica. Default 10. */
  CELERIAC_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** pino level. Default info. */
  CELERIAC_LOG_LEVEL: z.string().default('info'),
  /** PostgreSQL connect/statement/query/idle timeouts (see service-runtime pg-pool.ts). */
  ...pgTimeoutKnobs,
  /** How often PostgreSQL and Kafka are checked for /readyz (see service-runtime dependency-probe.ts). */
  ...dependencyProbeKnobs,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
