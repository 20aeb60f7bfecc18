import type { IncomingHttpHeaders } from 'node:http';
import { type Authenticator, allows, credentialsFrom, type Principal } from '../auth/principal';
import { GatewayError, type GatewayErrorKind, HTTP_STATUS } from '../errors';

/** Why a stream request is refused; `status` for SSE, `closeCode` for WebSocket. */
export class StreamAccessError extends Error {
  readonly retriable: boolean;
  constructor(
    message: string,
    readonly status: number,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'StreamAccessError';
    this.retriable = options.retriable ?? false;
  }

  /** 1008 (policy) for auth and tenancy, 1011 for our failures, 1013 when retrying later helps. */
  get closeCode(): number {
    if (this.retriable) return 1013;
    return this.status >= 500 ? 1011 : 1008;
  }
}

export type ResolveConnection = (principal: Principal, requested: string | undefined) => Promise<string>;

function statusOf(error: unknown): number {
  if (error instanceof GatewayError) return HTTP_STATUS[error.kind];
  // Errors of the same kinds from elsewhere (the streams' test tenancy) are mapped by their `kind`.
  const shaped = error as { kind?: unknown; status?: unknown; statusCode?: unknown };
  if (typeof shaped?.kind === 'string' && Object.hasOwn(HTTP_STATUS, shaped.kind))
    return HTTP_STATUS[shaped.kind as GatewayErrorKind];
  for (const candidate of [shaped?.status, shaped?.statusCode])
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  return 500;
}

/**
 * Authentication, the read permission and the connection the stream is for. Browsers cannot set
 * headers on EventSource/WebSocket, hence `?token=`.
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
    throw new StreamAccessError('authentication unavailable', 503, { cause: error, retriable: true });
  }
  if (!principal) throw new StreamAccessError('missing or invalid API key', 401);
  if (!allows(principal, 'read')) throw new StreamAccessError('this key may not read', 403);
  const header = headers['x-celeriac-connection'];
  const requested =
    query.get('connectionId') ?? (typeof header === 'string' ? header : undefined) ?? undefined;
  try {
    return { principal, connectionId: await deps.resolveConnection(principal, requested || undefined) };
  } catch (error) {
    const status = statusOf(error);
    const message = status < 500 && error instanceof Error ? error.message : 'connection lookup failed';
    throw new StreamAccessError(message, status, { cause: error, retriable: status === 503 });
  }
}
