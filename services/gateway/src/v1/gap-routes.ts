import { type Request, type Response, Router } from 'express';
import { BadRequestError } from '../errors';
import type { ApiDeps } from '../http/api-deps';
import { principalOf } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom, pathParam } from '../http/params';

/**
 * /api/v1/connections/:connectionId/gaps: the windows in which the collector could not see the
 * connection's events (a Redis subscriber away or dropping because Kafka was slow), newest first.
 * The connection in the path is resolved like any selector: another tenant's answers 404.
 */
export function v1GapRoutes(deps: ApiDeps): Router {
  const router = Router();
  router
    .route('/api/v1/connections/:connectionId/gaps')
    .get(async (req: Request, res: Response) => {
      const params = paramsFrom(req.query, undefined);
      const requested = pathParam(req.params.connectionId, 'connection id', 64);
      const connectionId = await deps.resolveConnection(principalOf(res), requested);
      const limit = params.int('limit') ?? 100;
      if (limit < 1 || limit > 1_000)
        throw new BadRequestError("Parameter 'limit' must be between 1 and 1000");
      const before = params.int('before');
      if (before !== undefined && before < 1)
        throw new BadRequestError("Parameter 'before' must be 1 or more");
      const rows = await deps.gaps.list(
        connectionId,
        before === undefined ? undefined : BigInt(before),
        limit,
      );
      const items = rows.map((row) => ({
        gapId: Number(row.gap_id),
        cause: row.cause,
        collectorId: row.collector_id,
        startedAt: row.started_at.toISOString(),
        endedAt: row.ended_at?.toISOString() ?? null,
        droppedMessages: row.dropped_messages === null ? null : Number(row.dropped_messages),
        droppedBytes: row.dropped_bytes === null ? null : Number(row.dropped_bytes),
      }));
      const last = items[items.length - 1];
      res.json({ items, nextBefore: items.length === limit && last ? last.gapId : null });
    })
    .all(methodNotAllowed);
  return router;
}
