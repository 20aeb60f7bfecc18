import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { kafkaSecurityOf } from '@celeriac/event-log/kafka-config';
import { resolveControlToken } from '@celeriac/proto/control-auth';
import { parseConfig } from '@celeriac/service-runtime/config';
import { runUntilSignal } from '@celeriac/service-runtime/lifecycle';
import { createLogger } from '@celeriac/service-runtime/logger';
import pg from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { gatewayConfigSchema } from './config';
import { createGatewayApi } from './gateway-api';
import { createApp } from './http/app';
import { createHttpServer } from './http/server';
import { createLiveStreams } from './streams/live-streams';

// Composition root: configuration, clients, components; no logic of its own.
const config = parseConfig(gatewayConfigSchema, process.env);
const logger = createLogger({ service: 'gateway', level: config.CELERIAC_LOG_LEVEL });
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const pool = new pg.Pool({
  connectionString: config.CELERIAC_DATABASE_URL,
  max: config.CELERIAC_DATABASE_POOL_SIZE,
});
pool.on('error', (error) => logger.error({ err: error }, 'idle database client failed'));
const secretBox = config.CELERIAC_SECRET_KEY ? createSecretBox(config.CELERIAC_SECRET_KEY) : undefined;
if (config.CELERIAC_AUTH_DISABLED)
  logger.warn('CELERIAC_AUTH_DISABLED is set: the API answers without API keys');

const { deps, authenticator, control } = createGatewayApi({
  pool,
  logger,
  controlToken: resolveControlToken({
    token: config.CELERIAC_CONTROL_TOKEN,
    tokenFile: config.CELERIAC_CONTROL_TOKEN_FILE,
    disabled: config.CELERIAC_CONTROL_AUTH_DISABLED,
  }),
  authDisabled: config.CELERIAC_AUTH_DISABLED,
  defaultConnection: config.CELERIAC_DEFAULT_CONNECTION,
  sealBrokerUrl: secretBox?.seal,
  maxPageSize: config.CELERIAC_GATEWAY_MAX_PAGE_SIZE,
  maxOffset: config.CELERIAC_GATEWAY_MAX_OFFSET,
});

// ---- live streams (SSE + WebSocket), built by the streams engineer in src/streams/ ----
const liveStreams = createLiveStreams({
  logger,
  pool,
  kafkaBrokers: config.CELERIAC_KAFKA_BROKERS,
  kafkaSecurity: kafkaSecurityOf(config),
  eventsTopic: config.CELERIAC_EVENTS_TOPIC,
  authenticator,
  resolveConnection: deps.resolveConnection,
  registry,
});

let shuttingDown = false;
const app = createApp({
  deps,
  authenticator,
  registry,
  readiness: {
    notReadyReason: () =>
      shuttingDown ? 'shutting down' : liveStreams.isRunning ? null : 'live streams not started',
  },
  applyTimeoutSeconds: config.CELERIAC_GATEWAY_APPLY_TIMEOUT_SECONDS,
  liveStreamsRouter: liveStreams.router,
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
    await pool.end();
  },
};

await runUntilSignal({
  logger,
  // Stopped in reverse: the live streams first (they tell SSE/WS clients to reconnect elsewhere while
  // the server still carries the message), then the HTTP server, then the clients.
  components: [clients, http, liveStreams],
  shutdownDeadlineMs: 15_000,
  onShutdownBegin: () => {
    shuttingDown = true;
  },
});
