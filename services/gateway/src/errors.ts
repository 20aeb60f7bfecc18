/**
 * The gateway's error tree. Route handlers throw these; ERROR_ANSWERS below is the one table that
 * turns them into HTTP statuses and WebSocket close codes. `retriable` tells a client (and our
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

/** How one error kind is answered: the HTTP status (REST, SSE, a refused upgrade) and the WebSocket close code. */
export interface ErrorAnswer {
  readonly status: number;
  /** 1008 policy (the client must change something), 1011 our failure, 1013 try again later. */
  readonly closeCode: number;
}

/**
 * The one table from error kinds to answers, used by the REST error handler (http/error-handler.ts)
 * and by the live streams (streams/stream-access.ts), so REST, SSE and WebSocket never disagree.
 */
export const ERROR_ANSWERS: Readonly<Record<GatewayErrorKind, ErrorAnswer>> = {
  'bad-request': { status: 400, closeCode: 1008 },
  unauthenticated: { status: 401, closeCode: 1008 },
  forbidden: { status: 403, closeCode: 1008 },
  'not-found': { status: 404, closeCode: 1008 },
  conflict: { status: 409, closeCode: 1008 },
  // Flower answers a failure the worker reports (or no reply in time) with 403.
  'worker-refused': { status: 403, closeCode: 1008 },
  unavailable: { status: 503, closeCode: 1013 },
  upstream: { status: 502, closeCode: 1011 },
  'too-many-requests': { status: 429, closeCode: 1013 },
};

/** Anything that is not a GatewayError is a bug of ours: 500, WebSocket 1011, no internals shown. */
export const INTERNAL_ANSWER: ErrorAnswer & { readonly message: string } = {
  status: 500,
  closeCode: 1011,
  message: 'Internal server error',
};

/** The answer for any thrown value, with the message a client may see. */
export function answerOf(error: unknown): ErrorAnswer & { readonly message: string } {
  if (error instanceof GatewayError) return { ...ERROR_ANSWERS[error.kind], message: error.message };
  return INTERNAL_ANSWER;
}

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
