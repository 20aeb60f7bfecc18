import type { Logger } from '@celeriac/service-runtime/logger';
import { isDatabaseUnavailable } from '@celeriac/service-runtime/pg-errors';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ERROR_ANSWERS, GatewayError, TooManyRequestsError } from '../errors';

/** Errors raised by express's own body parsers carry an HTTP status and a `type`. */
interface ParserError {
  status?: number;
  type?: string;
  expose?: boolean;
  message: string;
}

function isParserError(error: unknown): error is ParserError {
  return typeof error === 'object' && error !== null && typeof (error as ParserError).status === 'number';
}

/**
 * The one place that turns errors into REST responses, always `{"error": "..."}`, with the status of
 * the kind table in errors.ts (which the live streams use too). Anything not
 * recognised is a bug of ours: logged with its stack, answered 500 without internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof GatewayError) {
      if (error.kind === 'unavailable' || error.kind === 'upstream') {
        logger.warn({ err: error, path: req.path }, 'request failed upstream');
      }
      if (error instanceof TooManyRequestsError) res.set('Retry-After', String(error.retryAfterSeconds));
      res.status(ERROR_ANSWERS[error.kind].status).json({ error: error.message });
      return;
    }
    if (isParserError(error) && error.status !== undefined && error.status >= 400 && error.status < 500) {
      const message = error.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : error.message;
      res.status(error.status).json({ error: message });
      return;
    }
    if (isDatabaseUnavailable(error)) {
      // Down, restarting or too slow: the client may retry (on this or another replica) shortly.
      logger.warn({ err: error, path: req.path }, 'database unavailable');
      res
        .status(503)
        .set('retry-after', '5')
        .json({ error: 'The database is unavailable; try again shortly' });
      return;
    }
    if (isPgDataException(error)) {
      // Safety net: a value PostgreSQL cannot store or compare (class 22) came from the client.
      res.status(400).json({ error: 'A parameter has a value the database cannot use' });
      return;
    }
    logger.error({ err: error, path: req.path, method: req.method }, 'unhandled request error');
    res.status(500).json({ error: 'Internal server error' });
  };
}

function isPgDataException(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: `No route for ${req.method} ${req.path}` });
};

/** Flower answers a known path with the wrong verb with 405. */
export const methodNotAllowed: RequestHandler = (req, res) => {
  res.status(405).json({ error: `Method ${req.method} not allowed on ${req.path}` });
};
