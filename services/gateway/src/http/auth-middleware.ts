import type { Request, RequestHandler, Response } from 'express';
import { type Authenticator, allows, type Permission, type Principal } from '../auth/principal';
import { sameToken } from '../auth/sessions';
import type { ResolveConnection } from '../auth/tenancy';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { type Params, paramsFrom } from './params';

/** Methods a cross-site page could make a browser send with the session cookie attached. */
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Resolves the caller's API key (or dashboard session cookie) into `res.locals.principal`; 401 when
 * there is none. A command authenticated by the cookie must also carry the session's X-CSRF-Token.
 */
export function authenticate(authenticator: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    const principal = await authenticator.authenticate({
      authorization: req.headers.authorization,
      token,
      cookie: req.headers.cookie,
    });
    if (!principal) {
      throw new UnauthenticatedError(
        'An API key is required: send Authorization: Bearer <key> (or Token <key>, or ?token=)',
      );
    }
    if (principal.session && UNSAFE_METHODS.has(req.method)) {
      if (!sameToken(principal.session.csrfToken, req.get('x-csrf-token')))
        throw new ForbiddenError('CSRF token missing or wrong');
    }
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new UnauthenticatedError('not authenticated');
  return principal;
}

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    if (!allows(principalOf(res), permission)) {
      throw new ForbiddenError(`This key's role does not allow '${permission}'`);
    }
    next();
  };
}

/** The connection a request addresses: `connectionId` (query or form) or X-Celeriac-Connection. */
export function connectionOf(
  resolve: ResolveConnection,
  req: Request,
  res: Response,
  params: Params,
): Promise<string> {
  const requested = params.string('connectionId') ?? req.get('x-celeriac-connection')?.trim();
  return resolve(principalOf(res), requested);
}

/** The connection a request names in its query string or form body (or header), resolved for its key. */
export function requestConnection(resolve: ResolveConnection, req: Request, res: Response): Promise<string> {
  return connectionOf(resolve, req, res, paramsFrom(req.query, req.body));
}
