import { kafkaSecurityFields } from '@celeriac/event-log/kafka-config';
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
  /** Largest `offset` of /api/tasks (rows PostgreSQL reads and skips); above it a 400. Default 100000. */
  CELERIAC_GATEWAY_MAX_OFFSET: z.coerce.number().int().min(0).max(10_000_000).default(100_000),
  /** Seconds POST /api/task/apply waits for a result before answering with the current state. Default 300. */
  CELERIAC_GATEWAY_APPLY_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  /** PostgreSQL pool size per replica. Default 10. */
  CELERIAC_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Requests per second per API key (token bucket refill; 0 turns the rate limit off). Default 100. */
  CELERIAC_GATEWAY_RATE_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(100),
  /** Requests a key may make at once after being idle (bucket size). Default 200. */
  CELERIAC_GATEWAY_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** Rate buckets kept per replica; the least recently used goes first. Default 100000. */
  CELERIAC_GATEWAY_RATE_BUCKETS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** Open SSE + WebSocket streams per API key. Default 50. */
  CELERIAC_GATEWAY_STREAMS_PER_KEY: z.coerce.number().int().min(1).default(50),
  /** Open SSE + WebSocket streams per connection, all keys together. Default 500. */
  CELERIAC_GATEWAY_STREAMS_PER_CONNECTION: z.coerce.number().int().min(1).default(500),
  /** Waiting /api/task/apply and /api/task/result?timeout= requests per API key. Default 10. */
  CELERIAC_GATEWAY_RESULT_WAITS_PER_KEY: z.coerce.number().int().min(1).default(10),
  /** The same per connection. Default 50. */
  CELERIAC_GATEWAY_RESULT_WAITS_PER_CONNECTION: z.coerce.number().int().min(1).default(50),
  /** Running /api/workers?refresh=1 requests per API key. Default 4. */
  CELERIAC_GATEWAY_REFRESHES_PER_KEY: z.coerce.number().int().min(1).default(4),
  /** The same per connection. Default 16. */
  CELERIAC_GATEWAY_REFRESHES_PER_CONNECTION: z.coerce.number().int().min(1).default(16),
  /** SSE resumes read back from Kafka (older than the replay ring) at once per API key. Default 1. */
  CELERIAC_GATEWAY_CATCH_UPS_PER_KEY: z.coerce.number().int().min(1).default(1),
  /** The same per connection. Default 2. */
  CELERIAC_GATEWAY_CATCH_UPS_PER_CONNECTION: z.coerce.number().int().min(1).default(2),
  /** Milliseconds a catch-up client may read nothing before it is cut off. Default 30000. */
  CELERIAC_GATEWAY_CATCH_UP_IDLE_MS: z.coerce.number().int().min(100).default(30_000),
  /** Milliseconds between SSE heartbeats / WS pings; revoked keys' streams end within one. Default 15000. */
  CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** Stream entries the replay ring keeps (resume, late WS subscribers). Default 50000. */
  CELERIAC_GATEWAY_REPLAY_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  /** Bytes the replay ring may hold, so huge task results cannot fill the heap. Default 67108864 (64 MiB). */
  CELERIAC_GATEWAY_REPLAY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(64 * 1024 * 1024),
  /**
   * Bytes of args/kwargs/result/exception/traceback one /api/tasks (or /api/v1/tasks) page carries
   * whole; past it those fields are cut short. Default 16777216 (16 MiB).
   */
  CELERIAC_GATEWAY_TASKS_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(16 * 1024 * 1024),
  /** Folder of the built web dashboard served at `/`. Default: services/dashboard/dist beside the gateway. */
  CELERIAC_GATEWAY_DASHBOARD_DIR: z.string().min(1).optional(),
  /** Seconds a dashboard sign-in lasts (the session cookie and its row). Default 43200 (12 h). */
  CELERIAC_GATEWAY_SESSION_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(43_200),
  /** Failed dashboard sign-ins one client address may make per window before 429. Default 10. */
  CELERIAC_GATEWAY_SIGNIN_FAILURES: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** Length of that window in seconds. Default 300. */
  CELERIAC_GATEWAY_SIGNIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Client addresses whose failed sign-ins are counted, ~200 bytes each; oldest dropped first. Default 10000. */
  CELERIAC_GATEWAY_SIGNIN_ADDRESSES: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /**
   * Express's `trust proxy`: which proxies' X-Forwarded-For/-Proto to believe, for the client address
   * of the sign-in limit and for marking the session cookie Secure behind a TLS-terminating proxy.
   * "false" (default: the socket is the client), "true", a hop count, or comma-separated addresses/subnets.
   */
  CELERIAC_GATEWAY_TRUST_PROXY: z
    .string()
    .max(1_000)
    .default('false')
    .transform((value): boolean | number | string => {
      if (value === 'false' || value === '') return false;
      if (value === 'true') return true;
      return /^\d{1,3}$/.test(value) ? Number(value) : value;
    }),
  /** pino level. Default info. */
  CELERIAC_LOG_LEVEL: z.string().default('info'),
  /** Token sent on every Control gRPC call; the collectors' CELERIAC_CONTROL_TOKEN. */
  CELERIAC_CONTROL_TOKEN: z.string().min(1).optional(),
  /** File holding that token instead (a mounted Secret). */
  CELERIAC_CONTROL_TOKEN_FILE: z.string().min(1).optional(),
  /** Explicit opt-out (collectors run without Control auth); without a token or this, the gateway refuses to start. Default false. */
  CELERIAC_CONTROL_AUTH_DISABLED: booleanFlag.default(false),
  ...kafkaSecurityFields,
  /** PostgreSQL connect/statement/query/idle timeouts (see service-runtime pg-pool.ts). */
  ...pgTimeoutKnobs,
  /** How often PostgreSQL and Kafka are checked for /readyz (see service-runtime dependency-probe.ts). */
  ...dependencyProbeKnobs,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
