import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

/**
 * Request latency by route pattern (never the raw path: task ids and worker names would make the
 * label set unbounded).
 */
export function requestMetrics(registry: Registry): RequestHandler {
  const histogram = new Histogram({
    name: 'celeriac_gateway_http_request_duration_seconds',
    help: 'HTTP request latency of the gateway by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.once('finish', () => {
      const path = (req.route as { path?: unknown } | undefined)?.path;
      const route = Array.isArray(path) ? path[0] : path;
      end({
        method: req.method,
        route: typeof route === 'string' ? route : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}
