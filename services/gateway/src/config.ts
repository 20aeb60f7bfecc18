import { kafkaSecurityFields } from '@celeriac/event-log/kafka-config';
import { booleanFlag, commaList } from '@celeriac/service-runtime/config';
import { dependencyProbeKnobs } from '@celeriac/service-runtime/dependency-probe';
import { pgTimeoutKnobs } from '@celeriac/service-runtime/pg-pool';
import { z } from 'zod';
import type { GatewayPeersOptions } from './peers/gateway-peers';
import type { LiveStreamOptions } from './streams/live-streams';

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
  /**
   * Milliseconds between attempts to LISTEN again for revocation notices (every replica ends a revoked
   * key's streams at once) after the connection was lost. Default 2000.
   */
  CELERIAC_GATEWAY_GRANT_NOTICE_RETRY_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
  /** Stream entries the replay ring keeps (resume, late WS subscribers). Default 50000. */
  CELERIAC_GATEWAY_REPLAY_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  /** Bytes the replay ring may hold, so huge task results cannot fill the heap. Default 67108864 (64 MiB). */
  CELERIAC_GATEWAY_REPLAY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(64 * 1024 * 1024),
  /** Records per partition the live streams read back from before the end at start. Default 20000. */
  CELERIAC_GATEWAY_STREAM_BACKFILL: z.coerce.number().int().min(0).max(10_000_000).default(20_000),
  /** Open SSE + WebSocket clients per replica; more are answered 503. Default 10000. */
  CELERIAC_GATEWAY_STREAM_MAX_CLIENTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Bytes waiting for one stream client before it is cut off as too slow (SSE counts queued entries,
   * WebSocket the socket buffer). Default 4194304 (4 MiB).
   */
  CELERIAC_GATEWAY_STREAM_CLIENT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(4 * 1024 * 1024),
  /** Live frames a WebSocket subscriber holds while its task history loads. Default 10000. */
  CELERIAC_GATEWAY_WS_PENDING_FRAMES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Task events read from PostgreSQL for one late WebSocket subscriber. Default 10000. */
  CELERIAC_GATEWAY_WS_HISTORY_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Milliseconds a late WebSocket subscriber waits for the projector to reach the replay ring. Default 10000. */
  CELERIAC_GATEWAY_WS_HISTORY_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Milliseconds a browser waits before reconnecting an SSE stream (`retry:`). Default 1000. */
  CELERIAC_GATEWAY_SSE_RETRY_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
  /** Milliseconds stop() waits for stream clients to leave before dropping them. Default 5000. */
  CELERIAC_GATEWAY_STREAM_SHUTDOWN_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** SSE catch-ups from Kafka (resume points older than the ring) at once per replica. Default 4. */
  CELERIAC_GATEWAY_CATCH_UPS: z.coerce.number().int().min(0).max(1_000).default(4),
  /** Tasks the streams remember for `previousState`. Default 200000. */
  CELERIAC_GATEWAY_STREAM_TASK_MEMORY: z.coerce.number().int().min(1).max(10_000_000).default(200_000),
  /** Workers the streams remember for heartbeat expiry. Default 10000. */
  CELERIAC_GATEWAY_STREAM_WORKER_MEMORY: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
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
  /**
   * Gateway replicas coordinate (src/peers): each reads only the event partitions it owns and relays
   * them to the others over gRPC. Off: every replica reads every partition (a single gateway). Default false.
   */
  CELERIAC_GATEWAY_PEERS_ENABLED: booleanFlag.default(false),
  /** Peer gRPC port (relays between gateway replicas). Default 7080. */
  CELERIAC_GATEWAY_PEER_PORT: z.coerce.number().int().min(1).max(65535).default(7080),
  /** Peer gRPC bind address. Default 0.0.0.0. */
  CELERIAC_GATEWAY_PEER_HOST: z.string().min(1).default('0.0.0.0'),
  /** host:port the other replicas dial (a pod IP or a headless Service name). Default <hostname>:<peer port>. */
  CELERIAC_GATEWAY_PEER_ADDRESS: z.string().min(3).max(255).optional(),
  /** Milliseconds between membership heartbeats in gateway_members. Default 2000. */
  CELERIAC_GATEWAY_PEER_RENEW_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Milliseconds without a heartbeat after which a replica counts as gone (its partitions move). Default 10000. */
  CELERIAC_GATEWAY_PEER_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(10_000),
  /** Bytes of live records an owner holds for one relay before cutting it off (it reopens). Default 8388608 (8 MiB). */
  CELERIAC_GATEWAY_PEER_RELAY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(8 * 1024 * 1024),
  /** Bytes all the relays a replica serves may hold together (each within the setting above). Default 33554432 (32 MiB). */
  CELERIAC_GATEWAY_PEER_SERVED_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(32 * 1024 * 1024),
  /**
   * Connections one replica receives through relays at once; a client of one more connection makes
   * the replica read that connection's partition itself (more Kafka reads, no more memory). Default 64.
   */
  CELERIAC_GATEWAY_PEER_MAX_FEEDS: z.coerce.number().int().min(1).max(10_000).default(64),
  /** Entries the ring of one relayed connection keeps on a receiving replica. Default 5000. */
  CELERIAC_GATEWAY_PEER_RING_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  /**
   * Bytes of the rings of all relayed connections on a replica together, in equal shares
   * (÷ CELERIAC_GATEWAY_PEER_MAX_FEEDS; the stream task and worker memory are shared out the same
   * way). Default 33554432 (32 MiB).
   */
  CELERIAC_GATEWAY_PEER_RING_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(32 * 1024 * 1024),
  /** Milliseconds a relay's first batch may take before the replica reads Kafka itself. Default 3000. */
  CELERIAC_GATEWAY_PEER_CONNECT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  /** Milliseconds between an owner's position updates on an idle relay (its keep-alive). Default 1000. */
  CELERIAC_GATEWAY_PEER_PROGRESS_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** Milliseconds a replica reads a partition itself after its owner failed, before trying the owner again. Default 15000. */
  CELERIAC_GATEWAY_PEER_FALLBACK_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** Milliseconds a relayed connection is kept after its last local client left. Default 30000. */
  CELERIAC_GATEWAY_PEER_IDLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Milliseconds a worker refresh asked of the designated replica may take beyond the 1 s inspect window before this replica inspects itself. Default 3000. */
  CELERIAC_GATEWAY_PEER_INSPECT_MARGIN_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  /** Bytes of a worker refresh one replica sends another; larger ones are refused (the asker inspects itself). Default 8388608 (8 MiB). */
  CELERIAC_GATEWAY_PEER_INSPECT_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(256 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  /**
   * Milliseconds between a replica's request-rate usage reports to the other replicas (the per-key rate
   * then holds for the fleet); also each report's deadline. 0 turns the exchange off. Default 500.
   */
  CELERIAC_GATEWAY_PEER_USAGE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** API keys one usage report carries at most, the busiest first. Default 500. */
  CELERIAC_GATEWAY_PEER_USAGE_CALLERS: z.coerce.number().int().min(1).max(1_000).default(500),
  /** Bytes of per-key usage a replica gathers between two reports. Default 1048576 (1 MiB). */
  CELERIAC_GATEWAY_PEER_USAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  ...kafkaSecurityFields,
  /** PostgreSQL connect/statement/query/idle timeouts (see service-runtime pg-pool.ts). */
  ...pgTimeoutKnobs,
  /** How often PostgreSQL and Kafka are checked for /readyz (see service-runtime dependency-probe.ts). */
  ...dependencyProbeKnobs,
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** The live streams' settings, all from the knobs above (main.ts and the streams' tests use this). */
export function liveStreamOptionsOf(config: GatewayConfig): LiveStreamOptions {
  return {
    replayCapacity: config.CELERIAC_GATEWAY_REPLAY_ENTRIES,
    replayBytes: config.CELERIAC_GATEWAY_REPLAY_BYTES,
    backfill: config.CELERIAC_GATEWAY_STREAM_BACKFILL,
    maxClients: config.CELERIAC_GATEWAY_STREAM_MAX_CLIENTS,
    maxBufferedBytes: config.CELERIAC_GATEWAY_STREAM_CLIENT_BYTES,
    maxPendingFrames: config.CELERIAC_GATEWAY_WS_PENDING_FRAMES,
    maxHistoryEvents: config.CELERIAC_GATEWAY_WS_HISTORY_EVENTS,
    heartbeatMs: config.CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS,
    retryMs: config.CELERIAC_GATEWAY_SSE_RETRY_MS,
    historyWaitMs: config.CELERIAC_GATEWAY_WS_HISTORY_WAIT_MS,
    shutdownDeadlineMs: config.CELERIAC_GATEWAY_STREAM_SHUTDOWN_MS,
    maxCatchUps: config.CELERIAC_GATEWAY_CATCH_UPS,
    catchUpIdleMs: config.CELERIAC_GATEWAY_CATCH_UP_IDLE_MS,
    taskMemory: config.CELERIAC_GATEWAY_STREAM_TASK_MEMORY,
    workerMemory: config.CELERIAC_GATEWAY_STREAM_WORKER_MEMORY,
  };
}

/** The peers' settings, or undefined when peers are off. `memberId` is new at every start. */
export function peerOptionsOf(
  config: GatewayConfig,
  hostname: string,
  memberId: string,
): GatewayPeersOptions | undefined {
  if (!config.CELERIAC_GATEWAY_PEERS_ENABLED) return undefined;
  return {
    host: config.CELERIAC_GATEWAY_PEER_HOST,
    port: config.CELERIAC_GATEWAY_PEER_PORT,
    advertisedAddress:
      config.CELERIAC_GATEWAY_PEER_ADDRESS ?? `${hostname}:${config.CELERIAC_GATEWAY_PEER_PORT}`,
    memberId,
    renewMs: config.CELERIAC_GATEWAY_PEER_RENEW_MS,
    ttlMs: config.CELERIAC_GATEWAY_PEER_TTL_MS,
    relayBufferBytes: config.CELERIAC_GATEWAY_PEER_RELAY_BYTES,
    servedBytes: config.CELERIAC_GATEWAY_PEER_SERVED_BYTES,
    maxFeeds: config.CELERIAC_GATEWAY_PEER_MAX_FEEDS,
    relayRingEntries: config.CELERIAC_GATEWAY_PEER_RING_ENTRIES,
    relayRingBytes: config.CELERIAC_GATEWAY_PEER_RING_BYTES,
    connectMs: config.CELERIAC_GATEWAY_PEER_CONNECT_MS,
    progressMs: config.CELERIAC_GATEWAY_PEER_PROGRESS_MS,
    fallbackMs: config.CELERIAC_GATEWAY_PEER_FALLBACK_MS,
    idleMs: config.CELERIAC_GATEWAY_PEER_IDLE_MS,
    inspect: {
      marginMs: config.CELERIAC_GATEWAY_PEER_INSPECT_MARGIN_MS,
      maxReplyBytes: config.CELERIAC_GATEWAY_PEER_INSPECT_BYTES,
    },
    usage: {
      intervalMs: config.CELERIAC_GATEWAY_PEER_USAGE_MS,
      maxCallers: config.CELERIAC_GATEWAY_PEER_USAGE_CALLERS,
      maxBytes: config.CELERIAC_GATEWAY_PEER_USAGE_BYTES,
    },
  };
}
