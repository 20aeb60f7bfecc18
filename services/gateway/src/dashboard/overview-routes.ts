import { type Request, type Response, Router } from 'express';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom } from '../http/params';
import { bucketStarts, isoOf, timeWindow } from './ranges';
import { cachedThroughput } from './throughput-cache';

/** GET /api/v1/overview and /api/v1/queues/history: the dashboard's charts, read-only (viewers too). */
export function overviewRoutes(deps: ApiDeps): Router {
  const router = Router();
  const countThroughput = cachedThroughput(deps.overview.throughput, deps.now);
  const context = async (req: Request, res: Response) => {
    const params = paramsFrom(req.query, undefined);
    const window = timeWindow(params.string('range'), deps.now());
    return { window, connectionId: await connectionOf(deps.resolveConnection, req, res, params) };
  };

  router
    .route('/api/v1/overview')
    .get(async (req, res) => {
      const { window, connectionId } = await context(req, res);
      const [counts, slowest, mostFailing, exceptions, workers, queues] = await Promise.all([
        countThroughput(connectionId, window),
        deps.overview.slowest(connectionId, window),
        deps.overview.mostFailing(connectionId, window),
        deps.overview.topExceptions(connectionId, window),
        deps.workers.list(connectionId),
        deps.workers.queues(connectionId),
      ]);
      const byBucket = new Map(counts.map((row) => [row.bucket, row]));
      const throughput = bucketStarts(window).map((t, i) => ({
        t,
        succeeded: byBucket.get(i)?.succeeded ?? 0,
        failed: byBucket.get(i)?.failed ?? 0,
        retried: byBucket.get(i)?.retried ?? 0,
      }));
      const totals = { succeeded: 0, failed: 0, retried: 0 };
      for (const point of throughput) {
        totals.succeeded += point.succeeded;
        totals.failed += point.failed;
        totals.retried += point.retried;
      }
      const finished = totals.succeeded + totals.failed;
      const online = workers.filter((worker) => worker.alive).length;
      res.json({
        range: window.range,
        from: isoOf(window.from),
        to: isoOf(window.to),
        bucketSeconds: window.bucketSeconds,
        workers: { online, offline: workers.length - online },
        throughput,
        totals,
        failureRate: finished === 0 ? null : totals.failed / finished,
        slowest: slowest.map((row) => ({
          name: row.name,
          count: row.count,
          p50Runtime: row.p50,
          p95Runtime: row.p95,
        })),
        mostFailing,
        topExceptions: exceptions.map((row) => ({
          exception: row.exception,
          count: row.count,
          lastSeen: isoOf(row.last_seen),
        })),
        queues: queues.map((row) => ({
          name: row.name,
          messages: Number(row.messages),
          consumers: Number(row.consumers),
        })),
      });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/queues/history')
    .get(async (req, res) => {
      const { window, connectionId } = await context(req, res);
      const rows = await deps.overview.queueHistory(connectionId, window);
      const series = new Map<string, { t: string; messages: number; consumers: number }[]>();
      for (const row of rows) {
        const points = series.get(row.queue) ?? [];
        points.push({
          t: isoOf(window.from + row.bucket * window.bucketSeconds),
          messages: Number(row.messages),
          consumers: Number(row.consumers),
        });
        series.set(row.queue, points);
      }
      res.json({
        range: window.range,
        from: isoOf(window.from),
        to: isoOf(window.to),
        bucketSeconds: window.bucketSeconds,
        series: [...series].map(([queue, points]) => ({ queue, points })),
      });
    })
    .all(methodNotAllowed);
  return router;
}
