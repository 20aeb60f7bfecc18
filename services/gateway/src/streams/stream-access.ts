import type { IncomingHttpHeaders } from 'node:http';
import { isDatabaseUnavailable } from '@celeriac/service-runtime/pg-errors';
import { type Authenticator, allows, credentialsFrom, type Principal } from '../auth/principal';
import type { ResolveConnection } from '../auth/tenancy';
import { ForbiddenError, GatewayError, UnauthenticatedError, UnavailableError } from '../errors';

/** A database that is down or too slow is the client's cue to retry, as on the REST API. */
function unavailableIfDatabase(error: unknown): unknown {
  if (error instanceof GatewayError || !isDatabaseUnavailable(error)) return error;
  return new UnavailableError('The database is unavailable; try again shortly', { cause: error });
}

/**
 * Authentication, the read permission and the connection the stream is for, refused with the
 * gateway's own errors (errors.ts maps them to an SSE status or a WebSocket close code). Browsers
 * cannot set headers on EventSource/WebSocket, hence `?token=`.
 */
export async function authorizeStream(
  deps: { authenticator: Authenticator; resolveConnection: ResolveConnection },
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): Promise<{ principal: Principal; connectionId: string }> {
  let principal: Principal | null;
  try {
    principal = await deps.authenticator.authenticate(credentialsFrom(headers, query));
  } catch (error) {
    throw new UnavailableError('authentication unavailable', { cause: error });
  }
  if (!principal) throw new UnauthenticatedError('missing or invalid API key');
  if (!allows(principal, 'read')) throw new ForbiddenError('this key may not read');
  const header = headers['x-celeriac-connection'];
  const requested =
    query.get('connectionId') ?? (typeof header === 'string' ? header : undefined) ?? undefined;
  try {
    return { principal, connectionId: await deps.resolveConnection(principal, requested || undefined) };
  } catch (error) {
    throw unavailableIfDatabase(error);
  }
}
