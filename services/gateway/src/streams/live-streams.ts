import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createKafka, type KafkaSecurity } from '@celeriac/event-log/kafka';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import { Router } from 'express';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../auth/principal';
import type { ResolveConnection } from '../auth/tenancy';
import type { Position } from './cursor';
import { HEARTBEAT_SLOTS, LiveClientSet } from './live-clients';
import { type CheckGrants, createRevocationSweep } from './revocation-sweep';
import { catchUpFromKafka } from './sse-catch-up';
import type { SseClient } from './sse-client';
import { createSseHandler } from './sse-handler';
import type { StreamQuotas } from './stream-admission';
import { StreamHub } from './stream-hub';
import { createStreamMetrics } from './stream-metrics';
import { createTaskHistory } from './task-history';
import { createWsUpgrade } from './ws-upgrade';

/** Tuning knobs; main.ts may take them from config, the defaults suit one 2-core replica. */
export interface LiveStreamOptions {
  /** Stream entries kept in memory for resume and late subscribers (default 50,000). */
  replayCapacity: number;
  /** Bytes those entries may take, so huge task results cannot fill the heap (default 64 MiB). */
  replayBytes: number;
  /** Records per partition read back from before the end at start (default 20,000). */
  backfill: number;
  /** Open SSE + WS clients per replica (default 10,000); more get 503. */
  maxClients: number;
  /** Bytes waiting per client before it is cut off as too slow (default 4 MiB; SSE counts queued entries, WS the socket buffer). */
  maxBufferedBytes: number;
  /** Live frames a WS subscriber holds while its history loads (default 10,000). */
  maxPendingFrames: number;
  /** Task events read from PostgreSQL for one late subscriber (default 10,000). */
  maxHistoryEvents: number;
  /** SSE heartbeat and WS ping interval, ms (default 15,000). */
  heartbeatMs: number;
  /** SSE `retry:` the browser waits before reconnecting, ms (default 1,000). */
  retryMs: number;
  /** How long a late WS subscriber waits for the projector, ms (default 10,000). */
  historyWaitMs: number;
  /** How long stop() waits for clients to leave before dropping them, ms (default 5,000). */
  shutdownDeadlineMs: number;
  /** Kafka catch-ups for resume points older than the ring, at once per replica (default 4). */
  maxCatchUps: number;
  /** A catch-up whose client reads nothing for this long is cut off, freeing its reader, ms (default 30,000). */
  catchUpIdleMs: number;
  /** Tasks and workers remembered for previousState and heartbeat expiry (default 200,000 / 10,000). */
  taskMemory: number;
  workerMemory: number;
}

export const DEFAULT_LIVE_STREAM_OPTIONS: LiveStreamOptions = {
  replayCapacity: 50_000,
  replayBytes: 64 * 1024 * 1024,
  backfill: 20_000,
  maxClients: 10_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxPendingFrames: 10_000,
  maxHistoryEvents: 10_000,
  heartbeatMs: 15_000,
  retryMs: 1_000,
  historyWaitMs: 10_000,
  shutdownDeadlineMs: 5_000,
  maxCatchUps: 4,
  catchUpIdleMs: 30_000,
  taskMemory: 200_000,
  workerMemory: 10_000,
};

export interface LiveStreamsDeps {
  logger: Logger;
  pool: pg.Pool;
  kafkaBrokers: string[];
  kafkaSecurity?: KafkaSecurity;
  eventsTopic: string;
  authenticator: Authenticator;
  resolveConnection: ResolveConnection;
  registry: Registry;
  options?: Partial<LiveStreamOptions>;
  /** Per-key and per-connection limits on streams and catch-ups, and the key's request rate. */
  quotas?: StreamQuotas;
  /** Rechecks the keys and connections of open streams once per heartbeat interval (revocation). */
  checkGrants?: CheckGrants;
}

export interface LiveStreams extends Component {
  readonly router: Router;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Exposed for the benchmark and tests. */
  readonly hub: StreamHub;
  readonly clientCount: number;
}

/**
 * The gateway's live streams: Sluice-style SSE at GET /api/events/stream and wscelery WebSockets at
 * /<task-id> and /ws/tasks/<task-id>, both fed by one Kafka tail per replica.
 */
export function createLiveStreams(deps: LiveStreamsDeps): LiveStreams {
  const options = { ...DEFAULT_LIVE_STREAM_OPTIONS, ...deps.options };
  const logger = deps.logger.child({ component: 'live-streams' });
  const metrics = createStreamMetrics(deps.registry);
  const kafka = createKafka({
    clientId: 'celeriac-gateway-streams',
    brokers: deps.kafkaBrokers,
    security: deps.kafkaSecurity,
    logger,
  });
  const hub = new StreamHub({ kafka, topic: deps.eventsTopic, logger, metrics, ...options });
  const clients = new LiveClientSet(options.maxClients);
  let accepting = false;
  let running = false;
  let keepAlive: NodeJS.Timeout | undefined;
  let recheck: NodeJS.Timeout | undefined;
  const shared = {
    hub,
    clients,
    logger,
    metrics,
    authenticator: deps.authenticator,
    resolveConnection: deps.resolveConnection,
    isAccepting: () => accepting,
    quotas: deps.quotas,
  };
  const check = deps.checkGrants;
  const sweep = check
    ? createRevocationSweep({
        clients: () => clients.all(),
        check,
        logger,
        onRevoked: (client) => client.revoke(),
      })
    : undefined;

  const router = Router();
  let catchUps = 0;
  const catchUpDeps = {
    kafka,
    topic: deps.eventsTopic,
    logger,
    ring: hub.ring,
    highWaterBytes: options.maxBufferedBytes / 2,
    idleMs: options.catchUpIdleMs,
  };
  const startCatchUp = (client: SseClient, after: Position): Promise<void> | null => {
    if (catchUps >= options.maxCatchUps) return null;
    catchUps += 1;
    return catchUpFromKafka(catchUpDeps, client, after).finally(() => {
      catchUps -= 1;
    });
  };
  const sse = createSseHandler({
    ...shared,
    maxBufferedBytes: options.maxBufferedBytes,
    retryMs: options.retryMs,
    startCatchUp,
  });
  router.get('/api/events/stream', (req, res, next) => {
    sse(req, res).catch(next);
  });
  const ws = createWsUpgrade({
    ...shared,
    // Half the client's allowance: a whole history must fit its socket buffer without a cut-off.
    history: createTaskHistory(
      deps.pool,
      deps.eventsTopic,
      options.maxHistoryEvents,
      options.maxBufferedBytes / 2,
    ),
    maxBufferedBytes: options.maxBufferedBytes,
    maxPendingFrames: options.maxPendingFrames,
    historyWaitMs: options.historyWaitMs,
  });

  return {
    name: 'live-streams',
    router,
    hub,
    handleUpgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    get clientCount() {
      return clients.size;
    },
    get isRunning() {
      return running;
    },
    async start() {
      if (running) return;
      await hub.start();
      keepAlive = setInterval(() => clients.heartbeatSlot(new Date()), options.heartbeatMs / HEARTBEAT_SLOTS);
      keepAlive.unref();
      if (sweep) {
        recheck = setInterval(() => void sweep(), options.heartbeatMs);
        recheck.unref();
      }
      accepting = true;
      running = true;
    },
    async stop() {
      if (!running) return;
      running = false;
      accepting = false;
      clearInterval(keepAlive);
      clearInterval(recheck);
      await clients.shutdownAll(options.shutdownDeadlineMs);
      await hub.stop();
    },
  };
}
