import type { Logger } from '@celeriac/service-runtime/logger';
import type { Request, Response } from 'express';
import type { Authenticator, Principal } from '../auth/principal';
import { refuseTooMany } from '../auth/request-quotas';
import type { ResolveConnection } from '../auth/tenancy';
import { answerOf, BadRequestError, UnavailableError } from '../errors';
import { registerClient } from './client-registration';
import { type Position, parseEventId } from './cursor';
import type { LiveClientSet } from './live-clients';
import type { ReplayRing } from './replay-ring';
import { streamGrantOf } from './revocation-sweep';
import { reconnectNotice, SseClient } from './sse-client';
import { authorizeStream } from './stream-access';
import { admitStream, type StreamQuotas } from './stream-admission';
import type { StreamKind } from './stream-entries';
import type { HubLease, StreamHub } from './stream-hub';
import type { StreamMetrics } from './stream-metrics';

export interface SseHandlerDeps {
  hub: StreamHub;
  clients: LiveClientSet;
  logger: Logger;
  metrics: StreamMetrics;
  authenticator: Authenticator;
  resolveConnection: ResolveConnection;
  isAccepting: () => boolean;
  maxBufferedBytes: number;
  retryMs: number;
  quotas?: StreamQuotas;
  /** Starts a Kafka catch-up for a resume point older than the ring; null when none may start now. */
  startCatchUp: (client: SseClient, after: Position, ring: ReplayRing) => Promise<void> | null;
  /** Peers: the hub serving the connection on this replica (default `hub`). */
  hubFor?: (connectionId: string) => Promise<HubLease>;
}

const ALL_KINDS: readonly StreamKind[] = ['job', 'worker', 'queue'];

/** `types=job,worker` -> the kinds; unknown names are the client's error, not silently ignored. */
export function parseKinds(text: string | null): Set<StreamKind> {
  if (text === null || text.trim() === '') return new Set(ALL_KINDS);
  const kinds = new Set<StreamKind>();
  for (const part of text
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean)) {
    if (!(ALL_KINDS as readonly string[]).includes(part))
      throw new BadRequestError(`unknown event type "${part}"; use job, worker, queue`);
    kinds.add(part as StreamKind);
  }
  return kinds;
}

function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url;
  const at = url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
}

/** GET /api/events/stream: the connection's events as SSE, resumable with Last-Event-ID. */
export function createSseHandler(deps: SseHandlerDeps): (req: Request, res: Response) => Promise<void> {
  const log = deps.logger.child({ component: 'sse' });
  return async (req, res) => {
    if (!deps.isAccepting() || deps.clients.full) {
      res.status(503).set('Retry-After', '2').json({ error: 'stream capacity reached, retry' });
      return;
    }
    const query = queryOf(req);
    let connectionId: string;
    let principal: Principal;
    let kinds: Set<StreamKind>;
    const lastEventId = req.get('last-event-id') ?? query.get('lastEventId');
    const resumeAfter = lastEventId ? parseEventId(lastEventId) : null;
    try {
      kinds = parseKinds(query.get('types'));
      if (lastEventId && !resumeAfter) throw new BadRequestError('Last-Event-ID is not an id of this stream');
      ({ principal, connectionId } = await authorizeStream(deps, req.headers, query));
    } catch (error) {
      const answer = answerOf(error);
      if (answer.status >= 500) log.error({ err: error }, 'stream request failed');
      res.status(answer.status).json({ error: answer.message });
      return;
    }
    let hub = deps.hub;
    try {
      if (deps.hubFor) {
        const lease = await deps.hubFor(connectionId);
        hub = lease.hub;
        res.once('close', lease.release);
        if (req.socket.destroyed) lease.release();
      }
    } catch (error) {
      if (!(error instanceof UnavailableError)) throw error;
      // The connection's source (a peer, or Kafka) is not reachable yet: a 503 would end an
      // EventSource for good, a 200 that ends with a retry time makes it come back on its own.
      log.warn({ connectionId }, 'live stream source not reachable; client asked to reconnect');
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(reconnectNotice(deps.retryMs, 'source-unavailable'));
      return;
    }
    if (req.socket.destroyed) return;
    const coverable = resumeAfter === null || hub.ring.covers(resumeAfter.partition, resumeAfter.offset);
    const admission = await admitStream(
      deps.quotas,
      principal,
      connectionId,
      req.socket.remoteAddress,
      !coverable,
    );
    if (!admission.ok) return refuseTooMany(res, admission.message, admission.retryAfterSeconds);
    // The fleet-wide count is asked over the network: the client may have left meanwhile.
    if (req.socket.destroyed) return admission.release();
    res.once('close', admission.release);

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${deps.retryMs}\n\n`);
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);

    const client = new SseClient({
      res,
      grant: streamGrantOf(principal, connectionId),
      kinds,
      resumeAfter,
      catchingUp: !coverable,
      ring: hub.ring,
      maxBufferedBytes: deps.maxBufferedBytes,
      retryMs: deps.retryMs,
      onSent: () => deps.metrics.sent.inc({ stream: 'sse' }),
      onCutOff: (reason) => {
        deps.metrics.disconnects.inc({ stream: 'sse', reason });
        log.info({ connectionId, reason }, 'sse client cut off');
      },
    });
    if (!coverable && resumeAfter) {
      const catchingUp = deps.startCatchUp(client, resumeAfter, hub.ring);
      if (catchingUp) {
        catchingUp
          .catch((error: unknown) => {
            log.warn({ err: error, connectionId }, 'catch-up failed; client must reconnect');
            client.terminate();
          })
          .finally(() => admission.releaseCatchUp?.());
      } else {
        admission.releaseCatchUp?.();
        // Too many catch-ups running: say so and continue live rather than pretend continuity.
        client.notice('reset', { reason: 'cursor-too-old', lastEventId });
        client.finishCatchUp();
      }
    }
    registerClient({ ...deps, hub }, client, 'sse', res);
    hub.subscribe(client);
    client.begin();
  };
}
