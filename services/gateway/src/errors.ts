/**
 * The gateway's error tree. Route handlers throw these; http/error-handler.ts is the one place that
 * turns them into HTTP status codes and `{"error": "..."}` bodies. `retriable` tells a client (and our
 * own callers) whether trying again later can succeed.
 */
export abstract class GatewayError extends Error {
  abstract readonly kind: GatewayErrorKind;
  readonly retriable: boolean;
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

export type GatewayErrorKind =
  | 'bad-request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'worker-refused'
  | 'unavailable'
  | 'upstream'
  | 'too-many-requests';

/**
 * The one table from error kinds to HTTP status, used by the REST error handler and by the live
 * streams (which answer an SSE request or a refused WebSocket upgrade with the same status).
 */
export const HTTP_STATUS: Readonly<Record<GatewayErrorKind, number>> = {
  'bad-request': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  // Flower answers a failure the worker reports (or no reply in time) with 403.
  'worker-refused': 403,
  unavailable: 503,
  upstream: 502,
  'too-many-requests': 429,
};

/** The client sent a parameter or body we cannot use. */
export class BadRequestError extends GatewayError {
  readonly kind = 'bad-request';
}

/** No credentials, or credentials that match no live key. */
export class UnauthenticatedError extends GatewayError {
  readonly kind = 'unauthenticated';
}

/** The key is valid but its role does not grant this operation. */
export class ForbiddenError extends GatewayError {
  readonly kind = 'forbidden';
}

/** Unknown worker/task/connection — also a connection the key may not see (no existence leak). */
export class NotFoundError extends GatewayError {
  readonly kind = 'not-found';
}

/** The target exists but is not in a state that allows the request (re-run of an unfinished task). */
export class ConflictError extends GatewayError {
  readonly kind = 'conflict';
}

/** A worker answered a control command with an error, or did not answer (Flower answers 403). */
export class WorkerRefusedError extends GatewayError {
  readonly kind = 'worker-refused';
}

/** Broker, collector or database cannot be reached right now. */
export class UnavailableError extends GatewayError {
  readonly kind = 'unavailable';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** The collector answered in a way we did not expect. */
export class UpstreamError extends GatewayError {
  readonly kind = 'upstream';
}

/** A quota of the caller or of its connection is used up; `retryAfterSeconds` goes out as Retry-After. */
export class TooManyRequestsError extends GatewayError {
  readonly kind = 'too-many-requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, { retriable: true });
  }
}
