import { hostname } from 'node:os';
import { previousKeysOf } from '@celeriac/connection-secrets/secret-box';
import { kafkaSecurityFields, kafkaSecurityOf } from '@celeriac/event-log/kafka-config';
import { resolveControlToken } from '@celeriac/proto/control-auth';
import { DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_EVENTS_TOPIC } from '@celeriac/proto/topics';
import { booleanFlag, commaList } from '@celeriac/service-runtime/config';
import { dependencyProbeKnobs } from '@celeriac/service-runtime/dependency-probe';
import { pgTimeoutKnobs, pgTimeoutsOf } from '@celeriac/service-runtime/pg-pool';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveMs = z.coerce.number().int().positive();

/** The collector's whole environment; parsed once in main.ts with `parseConfig`. */
export const collectorConfigSchema = z
  .object({
    /** PostgreSQL URL holding connections and leases. Required. */
    CELERIAC_DATABASE_URL: z.string().min(1),
    /** Kafka bootstrap brokers, comma list. Required. */
    CELERIAC_KAFKA_BROKERS: commaList,
    /** Topic of normalized events. Default celeriac.events. */
    CELERIAC_EVENTS_TOPIC: z.string().min(1).default(DEFAULT_EVENTS_TOPIC),
    /** Topic of broker input that could not be used. Default celeriac.deadletter. */
    CELERIAC_DEAD_LETTER_TOPIC: z.string().min(1).default(DEFAULT_DEAD_LETTER_TOPIC),
    /** base64 of the 32-byte AES key that opens broker URLs. Required. */
    CELERIAC_SECRET_KEY: z.string().min(1),
    /** Keys broker URLs may still be sealed under during a key rotation, base64, comma list. Default none. */
    CELERIAC_SECRET_KEY_PREVIOUS: z.string().max(10_000).optional(),
    /** This replica's id in lease rows. Default <hostname>-<pid>. */
    CELERIAC_COLLECTOR_ID: z.string().min(1).optional(),
    /** Port of the Control gRPC service. Default 50051 (0 = any free port). */
    CELERIAC_COLLECTOR_GRPC_PORT: port.default(50051),
    /**
     * Bind address of the Control gRPC service. Default 127.0.0.1 (same-host gateways only); set
     * 0.0.0.0 in k8s, where gateways reach each collector pod by its IP.
     */
    CELERIAC_CONTROL_HOST: z.string().min(1).default('127.0.0.1'),
    /** Shared secret every Control call must present (`authorization: Bearer <token>`), 16+ chars. */
    CELERIAC_CONTROL_TOKEN: z.string().min(1).optional(),
    /** File holding that token instead (a mounted Secret). */
    CELERIAC_CONTROL_TOKEN_FILE: z.string().min(1).optional(),
    /** Explicit opt-out of Control authentication; without a token or this, the collector refuses to start. Default false. */
    CELERIAC_CONTROL_AUTH_DISABLED: booleanFlag.default(false),
    ...kafkaSecurityFields,
    /** host:port gateways use to reach this replica's gRPC service. Default 127.0.0.1:<grpc port>. */
    CELERIAC_COLLECTOR_GRPC_ADVERTISE: z.string().min(1).optional(),
    /** Port of /metrics, /healthz, /readyz. Default 9101. */
    CELERIAC_COLLECTOR_OPS_PORT: port.default(9101),
    /** Lease lifetime without renewal, ms. Default 9000: a dead owner's connections move within TTL + one renew interval (11 s). */
    CELERIAC_LEASE_TTL_MS: positiveMs.default(9_000),
    /** How often leases are renewed and free connections claimed, ms. Default 2000. */
    CELERIAC_LEASE_RENEW_MS: positiveMs.default(2_000),
    /** Unacked broker messages per connection (AMQP prefetch). Default 10000 (a few MB of events). */
    CELERIAC_PREFETCH: z.coerce.number().int().min(1).max(65_535).default(10_000),
    /**
     * Broker bytes per connection held unacked before consumption pauses, bytes. Default 8 MiB, which
     * keeps the live heap well inside the 160 MB old space `npm start` gives node.
     */
    CELERIAC_MAX_BUFFERED_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024),
    /** Event-gap rows kept per connection in PostgreSQL (older ones are deleted), rows. Default 1000. */
    CELERIAC_GAPS_PER_CONNECTION: z.coerce.number().int().positive().max(1_000_000).default(1000),
    /** Largest broker message body accepted, bytes; larger ones are dead-lettered. Default 512 KiB. */
    CELERIAC_MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .max(768 * 1024)
      .default(512 * 1024),
    /**
     * Most events in one `task.multi` list; a longer list is dead-lettered whole. Default 1000 (a
     * worker buffers a few dozen events per list).
     */
    CELERIAC_MAX_LIST_ITEMS: z.coerce.number().int().positive().max(100_000).default(1_000),
    /**
     * Cap on one Kafka batch (encoded records), bytes. Default 800 KiB. A batch is sealed before a
     * message would push it over, so it never exceeds this or one message's events; both must stay
     * under the topic's max.message.bytes (Kafka default 1 MiB).
     */
    CELERIAC_BATCH_MAX_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .max(1000 * 1024)
      .default(800 * 1024),
    /** Most events produced to Kafka in one batch. Default 2000. */
    CELERIAC_BATCH_MAX_EVENTS: z.coerce.number().int().positive().default(2_000),
    /** How long a partial batch waits for more events, ms. Default 10. */
    CELERIAC_BATCH_LINGER_MS: z.coerce.number().int().min(0).default(10),
    /** Log level (pino). Default info. */
    CELERIAC_LOG_LEVEL: z.string().default('info'),
    /** Collector-wide default for casting enable_events+heartbeat on worker-online. Default true. */
    CELERIAC_ENABLE_EVENTS: booleanFlag.default(true),
    /** PostgreSQL connect/statement/query/idle timeouts (see service-runtime pg-pool.ts). */
    ...pgTimeoutKnobs,
    /** How often PostgreSQL and Kafka are checked for /readyz (see service-runtime dependency-probe.ts). */
    ...dependencyProbeKnobs,
  })
  .transform((env) => ({
    databaseUrl: env.CELERIAC_DATABASE_URL,
    kafkaBrokers: env.CELERIAC_KAFKA_BROKERS,
    eventsTopic: env.CELERIAC_EVENTS_TOPIC,
    deadLetterTopic: env.CELERIAC_DEAD_LETTER_TOPIC,
    secretKey: env.CELERIAC_SECRET_KEY,
    previousSecretKeys: previousKeysOf(env.CELERIAC_SECRET_KEY_PREVIOUS),
    collectorId: env.CELERIAC_COLLECTOR_ID ?? `${hostname()}-${process.pid}`,
    grpcPort: env.CELERIAC_COLLECTOR_GRPC_PORT,
    grpcHost: env.CELERIAC_CONTROL_HOST,
    controlToken: resolveControlToken({
      token: env.CELERIAC_CONTROL_TOKEN,
      tokenFile: env.CELERIAC_CONTROL_TOKEN_FILE,
      disabled: env.CELERIAC_CONTROL_AUTH_DISABLED,
    }),
    kafkaSecurity: kafkaSecurityOf(env),
    grpcAdvertise: env.CELERIAC_COLLECTOR_GRPC_ADVERTISE ?? `127.0.0.1:${env.CELERIAC_COLLECTOR_GRPC_PORT}`,
    opsPort: env.CELERIAC_COLLECTOR_OPS_PORT,
    leaseTtlMs: env.CELERIAC_LEASE_TTL_MS,
    leaseRenewMs: env.CELERIAC_LEASE_RENEW_MS,
    prefetch: env.CELERIAC_PREFETCH,
    maxBufferedBytes: env.CELERIAC_MAX_BUFFERED_BYTES,
    gapsPerConnection: env.CELERIAC_GAPS_PER_CONNECTION,
    maxBodyBytes: env.CELERIAC_MAX_BODY_BYTES,
    maxListItems: env.CELERIAC_MAX_LIST_ITEMS,
    batchMaxEvents: env.CELERIAC_BATCH_MAX_EVENTS,
    batchMaxBytes: env.CELERIAC_BATCH_MAX_BYTES,
    batchLingerMs: env.CELERIAC_BATCH_LINGER_MS,
    logLevel: env.CELERIAC_LOG_LEVEL,
    enableEvents: env.CELERIAC_ENABLE_EVENTS,
    pgTimeouts: pgTimeoutsOf(env),
    dependencyCheck: {
      intervalMs: env.CELERIAC_DEPENDENCY_CHECK_MS,
      timeoutMs: env.CELERIAC_DEPENDENCY_CHECK_TIMEOUT_MS,
    },
  }))
  .refine((config) => config.leaseRenewMs * 2 <= config.leaseTtlMs, {
    message: 'CELERIAC_LEASE_RENEW_MS must be at most half of CELERIAC_LEASE_TTL_MS',
  });

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
