import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EventTail, TailRecord } from '@celeriac/event-log/tail';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import { Router } from 'express';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../auth/principal';
import type { ResolveConnection } from '../auth/tenancy';
import { createTaskHistoryStore } from '../data/task-history-store';
import type { Position } from './cursor';
import { HEARTBEAT_SLOTS, LiveClientSet } from './live-clients';
import type { ReplayRing } from './replay-ring';
import { type CheckGrants, createRevocationSweep } from './revocation-sweep';
import { catchUpFromKafka } from './sse-catch-up';
import type { SseClient } from './sse-client';
import { createSseHandler } from './sse-handler';
import type { StreamQuotas } from './stream-admission';
import type { StreamEntry } from './stream-entries';
import { type HubLease, StreamHub } from './stream-hub';
import { createStreamMetrics, type StreamMetrics } from './stream-metrics';
import { createTaskHistory } from './task-history';
import { createWsUpgrade } from './ws-upgrade';

/** The streams' settings; every one is a knob of the gateway's config (config.ts, liveStreamOptionsOf). */
export interface LiveStreamOptions {
  /** Stream entries kept in memory for resume and late subscribers. */
  replayCapacity: number;
  /** Bytes those entries may take, so huge task results cannot fill the heap. */
  replayBytes: number;
  /** Records per partition read back from before the end at start. */
  backfill: number;
  /** Open SSE + WS clients per replica; more get 503. */
  maxClients: number;
  /** Bytes waiting per client before it is cut off as too slow (SSE counts queued entries, WS the socket buffer). */
  maxBufferedBytes: number;
  /** Live frames a WS subscriber holds while its history loads. */
  maxPendingFrames: number;
  /** Task events read from PostgreSQL for one late subscriber. */
  maxHistoryEvents: number;
  /** SSE heartbeat and WS ping interval, ms; open streams' keys are rechecked as often. */
  heartbeatMs: number;
  /** SSE `retry:` the browser waits before reconnecting, ms. */
  retryMs: number;
  /** How long a late WS subscriber waits for the projector, ms. */
  historyWaitMs: number;
  /** How long stop() waits for clients to leave before dropping them, ms. */
  shutdownDeadlineMs: number;
  /** Kafka catch-ups for resume points older than the ring, at once per replica. */
  maxCatchUps: number;
  /** A catch-up whose client reads nothing for this long is cut off, freeing its reader, ms. */
  catchUpIdleMs: number;
  /** Tasks and workers remembered for previousState and heartbeat expiry. */
  taskMemory: number;
  workerMemory: number;
}

/** Gateway peers (src/peers): the hub reads only this replica's partitions, other connections are relayed. */
export interface PeerLink extends Component {
  tail(): EventTail;
  onEntry(entry: StreamEntry, record: TailRecord): void;
  /** The hub a new client of the connection joins (this replica's, or the connection's relay). */
  hubFor(connectionId: string): Promise<HubLease>;
}

export interface LiveStreamsDeps {
  logger: Logger;
  pool: pg.Pool;
  /** The gateway's one Kafka client (main.ts), shared with its readiness probe. */
  kafka: Kafka;
  eventsTopic: string;
  authenticator: Authenticator;
  resolveConnection: ResolveConnection;
  registry: Registry;
  options: LiveStreamOptions;
  /** Per-key and per-connection limits on streams and catch-ups, and the key's request rate. */
  quotas?: StreamQuotas;
  /** Rechecks the keys and connections of open streams once per heartbeat interval (revocation). */
  checkGrants?: CheckGrants;
  /** Absent: this replica reads every partition itself, as a single gateway does. */
  peers?: (hub: StreamHub, metrics: StreamMetrics) => PeerLink;
}

export interface LiveStreams extends Component {
  readonly router: Router;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Exposed for the benchmark and tests. */
  readonly hub: StreamHub;
  readonly clientCount: number;
  /** Rechecks every open stream's grant now (a key was revoked or a connection deleted somewhere). */
  recheckGrants(): void;
}

/**
 * The gateway's live streams: Sluice-style SSE at GET /api/events/stream and wscelery WebSockets at
 * /<task-id> and /ws/tasks/<task-id>, both fed by one Kafka tail per replica.
 */
export function createLiveStreams(deps: LiveStreamsDeps): LiveStreams {
  const { options, kafka } = deps;
  const logger = deps.logger.child({ component: 'live-streams' });
  const metrics = createStreamMetrics(deps.registry);
  let peers: PeerLink | undefined;
  const hub = new StreamHub({
    kafka,
    topic: deps.eventsTopic,
    logger,
    metrics,
    ...options,
    ...(deps.peers && {
      tail: () => (peers as PeerLink).tail(),
      onEntry: (entry: StreamEntry, record: TailRecord) => peers?.onEntry(entry, record),
    }),
  });
  peers = deps.peers?.(hub, metrics);
  const link = peers;
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
    hubFor: link && ((connectionId: string) => link.hubFor(connectionId)),
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
  const startCatchUp = (client: SseClient, after: Position, ring: ReplayRing): Promise<void> | null => {
    if (catchUps >= options.maxCatchUps) return null;
    catchUps += 1;
    return catchUpFromKafka({ ...catchUpDeps, ring }, client, after).finally(() => {
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
      createTaskHistoryStore(
        deps.pool,
        deps.eventsTopic,
        options.maxHistoryEvents,
        options.maxBufferedBytes / 2,
      ),
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
    recheckGrants() {
      if (running) void sweep?.();
    },
    get isRunning() {
      return running;
    },
    async start() {
      if (running) return;
      await link?.start();
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
      await link?.stop();
    },
  };
}
