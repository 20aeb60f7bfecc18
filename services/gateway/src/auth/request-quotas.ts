import type { Request, RequestHandler, Response } from 'express';
import { requestConnection } from '../http/auth-middleware';
import { acquireAcrossFleet, type FleetSlots } from '../peers/fleet-slots';
import { type ConcurrencyQuotas, callerOf, type QuotaKind } from './concurrency-quotas';
import type { Principal } from './principal';
import type { RateLimiter } from './rate-limit';
import type { ResolveConnection } from './tenancy';

/** 429 with a JSON error and Retry-After: the one shape of every refusal by a quota. */
export function refuseTooMany(res: Response, message: string, retryAfterSeconds: number): void {
  res.status(429).set('Retry-After', String(retryAfterSeconds)).json({ error: message });
}

/** Per-key request rate; runs after authentication, so only real keys get buckets. */
export function rateLimit(limiter: RateLimiter): RequestHandler {
  return (req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal) return next();
    const decision = limiter.take(callerOf(principal.keyId, req.socket.remoteAddress));
    if (decision.ok) return next();
    refuseTooMany(res, 'Too many requests for this API key; retry later', decision.retryAfterSeconds);
  };
}

/**
 * Holds a `kind` slot for the caller and the connection while the request runs (released when the
 * response ends or the client goes away); with peers, `fleet` counts result waits over every replica.
 * `applies` says whether this request is one that holds (a result request with `timeout`, a worker
 * list with `refresh`). A request whose connection cannot be resolved holds nothing: the route answers
 * it with the same error it always did.
 */
export function holdSlot(
  quotas: ConcurrencyQuotas,
  kind: QuotaKind,
  resolve: ResolveConnection,
  applies: (req: Request) => boolean = () => true,
  fleet?: FleetSlots,
): RequestHandler {
  return async (req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    let connectionId: string;
    try {
      if (!principal || !applies(req)) return next();
      connectionId = await requestConnection(resolve, req, res);
    } catch {
      return next();
    }
    // Aborted when the client goes away, for a handler that can stop its work early (result waits).
    // Listened to before the fleet is asked, so a client gone meanwhile still frees its slot.
    const gone = new AbortController();
    let release: (() => void) | undefined;
    res.once('close', () => {
      gone.abort();
      release?.();
    });
    const slot = await acquireAcrossFleet(quotas, fleet, kind, {
      caller: callerOf(principal.keyId, req.socket.remoteAddress),
      connectionId,
    });
    if (!slot.ok) return refuseTooMany(res, slot.message, slot.retryAfterSeconds);
    release = slot.release;
    if (gone.signal.aborted) return release();
    res.locals.requestSignal = gone.signal;
    next();
  };
}
