import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@celeriac/service-runtime/logger';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/principal';
import type { ResolveConnection } from '../auth/tenancy';
import { answerOf, TooManyRequestsError, UnavailableError } from '../errors';
import { registerClient } from './client-registration';
import { closeWebSocket } from './close-reason';
import type { LiveClientSet } from './live-clients';
import { streamGrantOf } from './revocation-sweep';
import { authorizeStream } from './stream-access';
import { admitStream, type StreamQuotas } from './stream-admission';
import type { HubLease, StreamHub } from './stream-hub';
import type { StreamMetrics } from './stream-metrics';
import type { HistoryEvent, TaskHistory } from './task-history';
import { WsClient } from './ws-client';

export interface WsUpgradeDeps {
  hub: StreamHub;
  /** Peers: the hub serving the connection on this replica (default `hub`). */
  hubFor?: (connectionId: string) => Promise<HubLease>;
  history: TaskHistory;
  clients: LiveClientSet;
  logger: Logger;
  metrics: StreamMetrics;
  authenticator: Authenticator;
  resolveConnection: ResolveConnection;
  isAccepting: () => boolean;
  quotas?: StreamQuotas;
  maxBufferedBytes: number;
  maxPendingFrames: number;
  /** How long a late subscriber waits for the projector to reach the replay ring before giving up. */
  historyWaitMs: number;
}

/** `/<task-id>` (wscelery) and `/ws/tasks/<task-id>`. */
const TASK_PATH = /^\/(?:ws\/tasks\/)?([A-Za-z0-9][A-Za-z0-9._:-]{0,199})$/;

export function taskIdOfPath(pathname: string): string | null {
  return TASK_PATH.exec(pathname)?.[1] ?? null;
}

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function createWsUpgrade(deps: WsUpgradeDeps) {
  const log = deps.logger.child({ component: 'ws' });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4096,
    perMessageDeflate: false,
    clientTracking: false,
  });
  wss.on('error', (error) => log.error({ err: error }, 'websocket server error'));

  /** PostgreSQL history is needed only for partitions the ring no longer holds from their start. */
  async function loadHistory(
    hub: StreamHub,
    connectionId: string,
    taskUuid: string,
  ): Promise<HistoryEvent[]> {
    const deadline = Date.now() + deps.historyWaitMs;
    for (;;) {
      const projected = await deps.history.projectedUpTo();
      const behind = [...hub.ring.coverage()].filter(
        ([partition, from]) => from > hub.lowWatermark(partition) && (projected.get(partition) ?? 0) < from,
      );
      if (behind.length === 0) return deps.history.taskEvents(connectionId, taskUuid);
      if (Date.now() > deadline) throw new UnavailableError('task history is not available yet');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function serve(ws: WebSocket, req: IncomingMessage, taskUuid: string): Promise<void> {
    const query = new URL(req.url ?? '/', 'http://gateway').searchParams;
    const { principal, connectionId } = await authorizeStream(deps, req.headers, query);
    let hub = deps.hub;
    if (deps.hubFor) {
      const lease = await deps.hubFor(connectionId);
      hub = lease.hub;
      ws.once('close', lease.release);
      if (ws.readyState !== ws.OPEN) return lease.release();
    }
    if (ws.readyState !== ws.OPEN) return;
    const admission = await admitStream(
      deps.quotas,
      principal,
      connectionId,
      req.socket.remoteAddress,
      false,
    );
    if (!admission.ok) throw new TooManyRequestsError(admission.message, admission.retryAfterSeconds);
    // The fleet-wide count is asked over the network: the client may have left meanwhile.
    if (ws.readyState !== ws.OPEN) return admission.release();
    ws.once('close', admission.release);
    const client = new WsClient({
      ws,
      grant: streamGrantOf(principal, connectionId),
      taskUuid,
      maxBufferedBytes: deps.maxBufferedBytes,
      maxPendingFrames: deps.maxPendingFrames,
      onSent: () => deps.metrics.sent.inc({ stream: 'ws' }),
      onCutOff: (reason) => {
        deps.metrics.disconnects.inc({ stream: 'ws', reason });
        log.info({ connectionId, taskUuid, reason }, 'ws client cut off');
      },
    });
    registerClient({ ...deps, hub }, client, 'ws', ws);
    // Subscribe first (live frames are held), then read history: the merge removes the overlap.
    hub.subscribe(client);
    client.finishHistory(await loadHistory(hub, connectionId, taskUuid));
  }

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      socket.on('error', (error) => log.debug({ err: error }, 'upgrade socket error'));
      const taskUuid = taskIdOfPath(new URL(req.url ?? '/', 'http://gateway').pathname);
      if (!taskUuid) return refuse(socket, '404 Not Found');
      if (!deps.isAccepting() || deps.clients.full) return refuse(socket, '503 Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', (error) => log.debug({ err: error }, 'websocket error'));
        // wscelery clients only listen; anything they send is ignored.
        serve(ws, req, taskUuid).catch((error: unknown) => {
          const answer = answerOf(error);
          if (answer.status >= 500 && answer.closeCode !== 1013)
            log.error({ err: error }, 'ws stream failed');
          closeWebSocket(ws, answer.closeCode, answer.message);
        });
      });
    },
  };
}
