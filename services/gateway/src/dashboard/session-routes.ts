import express, { type Request, type Response, Router } from 'express';
import { type Authenticator, type Principal, permissionsOf } from '../auth/principal';
import { csrfTokenFor, newSessionValue, SESSION_COOKIE, sessionCookie, sessionHash } from '../auth/sessions';
import type { SignInLimiter } from '../auth/sign-in-limiter';
import type { SessionsStore } from '../data/sessions-store';
import { BadRequestError, TooManyRequestsError, UnauthenticatedError } from '../errors';
import { principalOf } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';

const MAX_KEY_LENGTH = 256;

export interface SessionDeps {
  /** Judges the key typed into the sign-in form (API keys only, never a cookie). */
  keys: Authenticator;
  store: SessionsStore;
  limiter: SignInLimiter;
  ttlSeconds: number;
}

function keyFrom(body: unknown): string {
  const key = typeof body === 'object' && body !== null ? (body as { key?: unknown }).key : undefined;
  if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_KEY_LENGTH)
    throw new BadRequestError(
      `Body must be {"key": "<API key>"} with a key of at most ${MAX_KEY_LENGTH} characters`,
    );
  return key.trim();
}

async function sessionBody(deps: SessionDeps, principal: Principal, csrfToken: string | null) {
  return {
    keyId: principal.keyId,
    name: principal.name ?? null,
    role: principal.role,
    permissions: permissionsOf(principal.role),
    connections: await deps.store.connections(principal.allConnections, [...principal.connectionIds]),
    csrfToken,
  };
}

const cookieOptions = (req: Request) =>
  ({ httpOnly: true, sameSite: 'strict', path: '/', secure: req.secure }) as const;

/** POST /api/v1/session: sign in with a key; mounted before the API's authentication. */
export function signInRoute(deps: SessionDeps): Router {
  const router = Router();
  router.post('/api/v1/session', express.json({ limit: '4kb', type: () => true }), async (req, res) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const wait = deps.limiter.retryAfterSeconds(address);
    if (wait !== null) throw new TooManyRequestsError('Too many failed sign-ins from this address', wait);
    const key = keyFrom(req.body);
    const principal = await deps.keys.authenticate({ authorization: `Bearer ${key}` });
    if (!principal) {
      deps.limiter.failed(address);
      throw new UnauthenticatedError('Unknown or revoked API key');
    }
    deps.limiter.succeeded(address);
    // Without auth (CELERIAC_AUTH_DISABLED) every request is already admin: no session to keep.
    if (principal.keyId === null) return void res.json(await sessionBody(deps, principal, null));
    const value = newSessionValue();
    await deps.store.create(sessionHash(value), principal.keyId, deps.ttlSeconds);
    res.cookie(SESSION_COOKIE, value, { ...cookieOptions(req), maxAge: deps.ttlSeconds * 1000 });
    res.json(await sessionBody(deps, principal, csrfTokenFor(value)));
  });
  return router;
}

/** GET / DELETE /api/v1/session: who is signed in, and sign-out (CSRF-checked like every command). */
export function sessionRoutes(deps: SessionDeps): Router {
  const router = Router();
  router
    .route('/api/v1/session')
    .get(async (_req, res: Response) => {
      const principal = principalOf(res);
      res.json(await sessionBody(deps, principal, principal.session?.csrfToken ?? null));
    })
    .delete(async (req, res) => {
      const value = sessionCookie(req.headers.cookie);
      if (value && principalOf(res).session) await deps.store.delete(sessionHash(value));
      res.clearCookie(SESSION_COOKIE, cookieOptions(req));
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
