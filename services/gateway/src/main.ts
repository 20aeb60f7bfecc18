import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { createKafka } from '@celeriac/event-log/kafka';
import { kafkaSecurityOf } from '@celeriac/event-log/kafka-config';
import { kafkaTopicCheck } from '@celeriac/event-log/kafka-probe';
import { resolveControlToken } from '@celeriac/proto/control-auth';
import { parseConfig } from '@celeriac/service-runtime/config';
import { createDependencyProbe, firstNotReady } from '@celeriac/service-runtime/dependency-probe';
import { runUntilSignal } from '@celeriac/service-runtime/lifecycle';
import { createLogger } from '@celeriac/service-runtime/logger';
import { createPgPool, pgTimeoutsOf } from '@celeriac/service-runtime/pg-pool';
import { supervised } from '@celeriac/service-runtime/supervised';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { createConcurrencyQuotas, type QuotaLimits } from './auth/concurrency-quotas';
import { registerQuotaGauge } from './auth/quota-gauge';
import { createRateLimiter } from './auth/rate-limit';
import { createSignInLimiter } from './auth/sign-in-limiter';
import { gatewayConfigSchema, liveStreamOptionsOf, peerOptionsOf } from './config';
import { defaultDashboardDir } from './dashboard/static-assets';
import { databaseCheck } from './data/database-check';
import { createGrantNotices } from './data/grant-notices';
import { createGrantsStore } from './data/grants-store';
import { createGatewayApi } from './gateway-api';
import { createApp } from './http/app';
import { createHttpServer } from './http/server';
import { meterKafkaReads } from './kafka-read-metrics';
import { createGatewayPeers } from './peers/gateway-peers';
import { createLiveStreams } from './streams/live-streams';

// Composition root: configuration, clients, components; no logic of its own.
const config = parseConfig(gatewayConfigSchema, process.env);
const logger = createLogger({ service: 'gateway', level: config.CELERIAC_LOG_LEVEL });
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const pool = createPgPool({
  connectionString: config.CELERIAC_DATABASE_URL,
  max: config.CELERIAC_DATABASE_POOL_SIZE,
  timeouts: pgTimeoutsOf(config),
  logger,
  applicationName: 'celeriac-gateway',
});
const secretBox = config.CELERIAC_SECRET_KEY ? createSecretBox(config.CELERIAC_SECRET_KEY) : undefined;
if (config.CELERIAC_AUTH_DISABLED)
  logger.warn('CELERIAC_AUTH_DISABLED is set: the API answers without API keys');

// One shared token authenticates the gateway to the collectors' Control and gateway replicas to each other.
const controlToken = resolveControlToken({
  token: config.CELERIAC_CONTROL_TOKEN,
  tokenFile: config.CELERIAC_CONTROL_TOKEN_FILE,
  disabled: config.CELERIAC_CONTROL_AUTH_DISABLED,
});
// Peers (replicas sharing the work, src/peers/README.md): a worker refresh runs on one replica per
// connection, the per-key request rate and stream limits hold for the fleet, each partition is read once.
const peerOptions = peerOptionsOf(config, hostname(), randomUUID());
const peers =
  peerOptions && createGatewayPeers({ options: peerOptions, pool, token: controlToken, registry, logger });
const { deps, authenticator, control, sessions } = createGatewayApi({
  pool,
  logger,
  controlToken,
  authDisabled: config.CELERIAC_AUTH_DISABLED,
  defaultConnection: config.CELERIAC_DEFAULT_CONNECTION,
  sealBrokerUrl: secretBox?.seal,
  maxPageSize: config.CELERIAC_GATEWAY_MAX_PAGE_SIZE,
  maxOffset: config.CELERIAC_GATEWAY_MAX_OFFSET,
  tasksResponseBytes: config.CELERIAC_GATEWAY_TASKS_RESPONSE_BYTES,
  // Twice the live requests' allowance: room for waits whose clients just left, still one tenant's own.
  resultWaitsPerConnection: 2 * config.CELERIAC_GATEWAY_RESULT_WAITS_PER_CONNECTION,
  inspectForward: peers?.inspectForward,
});

// Per-key and per-connection quotas, shared by the REST routes and the live streams.
const refusals = new Counter({
  name: 'celeriac_gateway_quota_refusals_total',
  help: 'Requests and streams refused with 429 / WS 1013, by quota (kind) and whose limit (scope)',
  labelNames: ['kind', 'scope'],
  registers: [registry],
});
const quotaLimits: QuotaLimits = {
  stream: {
    perKey: config.CELERIAC_GATEWAY_STREAMS_PER_KEY,
    perConnection: config.CELERIAC_GATEWAY_STREAMS_PER_CONNECTION,
  },
  'result-wait': {
    perKey: config.CELERIAC_GATEWAY_RESULT_WAITS_PER_KEY,
    perConnection: config.CELERIAC_GATEWAY_RESULT_WAITS_PER_CONNECTION,
  },
  refresh: {
    perKey: config.CELERIAC_GATEWAY_REFRESHES_PER_KEY,
    perConnection: config.CELERIAC_GATEWAY_REFRESHES_PER_CONNECTION,
  },
  'catch-up': {
    perKey: config.CELERIAC_GATEWAY_CATCH_UPS_PER_KEY,
    perConnection: config.CELERIAC_GATEWAY_CATCH_UPS_PER_CONNECTION,
  },
};
const localQuotas = {
  concurrency: createConcurrencyQuotas(quotaLimits, (kind, scope) => refusals.inc({ kind, scope })),
  rate: createRateLimiter({
    ratePerSecond: config.CELERIAC_GATEWAY_RATE_PER_SECOND,
    burst: config.CELERIAC_GATEWAY_RATE_BURST,
    maxBuckets: config.CELERIAC_GATEWAY_RATE_BUCKETS,
    now: Date.now,
    onRefused: () => refusals.inc({ kind: 'rate', scope: 'key' }),
    onTaken: peers?.recordRequest,
  }),
};

registerQuotaGauge(registry, localQuotas.concurrency);
// With peers, the stream and result-wait limits (per key, per connection) count what every live replica holds.
const quotas = peers
  ? peers.fleetQuotas(localQuotas, quotaLimits, (kind, scope) => refusals.inc({ kind, scope }))
  : localQuotas;

// The one Kafka client: the live streams' tail and catch-ups, and the readiness probe.
const kafka = meterKafkaReads(
  createKafka({
    clientId: 'celeriac-gateway',
    brokers: config.CELERIAC_KAFKA_BROKERS,
    security: kafkaSecurityOf(config),
    logger,
  }),
  registry,
);

// Live streams (SSE + WebSocket): see src/streams/README.md; peers (replicas sharing the partitions): src/peers/README.md.
const streamOptions = liveStreamOptionsOf(config);
const liveStreams = createLiveStreams({
  logger,
  pool,
  kafka,
  eventsTopic: config.CELERIAC_EVENTS_TOPIC,
  authenticator,
  resolveConnection: deps.resolveConnection,
  registry,
  quotas,
  checkGrants: createGrantsStore(pool).liveGrants,
  options: streamOptions,
  peers: peers?.link({
    kafka,
    topic: config.CELERIAC_EVENTS_TOPIC,
    inspector: deps.inspector,
    limiter: localQuotas.rate,
    stream: streamOptions,
  }),
});

// A key revoked or a connection deleted on any replica (or by the CLI) ends its streams here at once.
const grantNotices = createGrantNotices({
  pool,
  logger,
  onNotice: () => liveStreams.recheckGrants(),
  retryMs: config.CELERIAC_GATEWAY_GRANT_NOTICE_RETRY_MS,
});

// Kafka may be down at start, and kafkajs may give up on the tail later: the streams are retried
// and restarted with capped backoff while the HTTP API keeps answering (503 where the data is missing).
const streams = supervised(liveStreams, { logger, checkMs: 5_000, healthy: () => liveStreams.hub.isRunning });
const probeTiming = {
  intervalMs: config.CELERIAC_DEPENDENCY_CHECK_MS,
  timeoutMs: config.CELERIAC_DEPENDENCY_CHECK_TIMEOUT_MS,
};
const kafkaCheck = kafkaTopicCheck(kafka, config.CELERIAC_EVENTS_TOPIC);
const probes = [
  createDependencyProbe({
    dependency: 'postgresql',
    check: databaseCheck(pool),
    logger,
    ...probeTiming,
  }),
  createDependencyProbe({ dependency: 'kafka', check: kafkaCheck.check, logger, ...probeTiming }),
];

let shuttingDown = false;
const app = createApp({
  deps,
  authenticator,
  registry,
  readiness: {
    notReadyReason: () =>
      firstNotReady([
        () => (shuttingDown ? 'shutting down' : null),
        ...probes.map((probe) => probe.notReadyReason),
        () => (streams.isRunning ? null : 'live streams not running (Kafka tail stopped)'),
      ]),
  },
  applyTimeoutSeconds: config.CELERIAC_GATEWAY_APPLY_TIMEOUT_SECONDS,
  liveStreamsRouter: liveStreams.router,
  quotas,
  sessions: {
    ...sessions,
    ttlSeconds: config.CELERIAC_GATEWAY_SESSION_SECONDS,
    limiter: createSignInLimiter({
      maxFailures: config.CELERIAC_GATEWAY_SIGNIN_FAILURES,
      windowMs: config.CELERIAC_GATEWAY_SIGNIN_WINDOW_SECONDS * 1000,
      maxAddresses: config.CELERIAC_GATEWAY_SIGNIN_ADDRESSES,
      now: Date.now,
    }),
  },
  trustProxy: config.CELERIAC_GATEWAY_TRUST_PROXY,
  dashboardDir: config.CELERIAC_GATEWAY_DASHBOARD_DIR ?? defaultDashboardDir(),
});
const http = createHttpServer({
  app,
  port: config.CELERIAC_GATEWAY_PORT,
  host: config.CELERIAC_GATEWAY_HOST,
  logger,
  onUpgrade: (req, socket, head) => liveStreams.handleUpgrade(req, socket, head),
});

// Closed last (started first): the gRPC channels and the database pool.
let clientsOpen = true;
const clients = {
  name: 'clients',
  get isRunning() {
    return clientsOpen;
  },
  async start() {},
  async stop() {
    if (!clientsOpen) return;
    clientsOpen = false;
    control.close();
    peers?.close();
    await kafkaCheck.close();
    await pool.end();
  },
};

await runUntilSignal({
  logger,
  // Stopped in reverse: the live streams first (they tell SSE/WS clients to reconnect elsewhere while
  // the server still carries the message), then the HTTP server, then the clients.
  components: [clients, ...probes, http, streams, grantNotices],
  shutdownDeadlineMs: 15_000,
  onShutdownBegin: () => {
    shuttingDown = true;
  },
});
