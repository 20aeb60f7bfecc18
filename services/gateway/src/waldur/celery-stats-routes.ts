import { Router } from 'express';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf, requirePermission } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom } from '../http/params';

/**
 * Waldur's GET /api/celery-stats/ (support role): per-worker inspect data keyed by worker name, every
 * field null when no worker is alive. Served from the collector's periodic inspect snapshots in the read
 * model, so a dashboard polling it costs the workers nothing; a live inspect only when none is stored.
 */
export function celeryStatsRoutes(deps: ApiDeps): Router {
  const router = Router();
  router
    .route(['/api/celery-stats/', '/api/celery-stats'])
    .get(requirePermission('celery-stats'), async (req, res) => {
      const connectionId = await connectionOf(
        deps.resolveConnection,
        req,
        res,
        paramsFrom(req.query, undefined),
      );
      const alive = (await deps.workers.list(connectionId)).filter((row) => row.alive);
      let infos: Array<[string, Record<string, unknown>]> = alive
        .filter((row) => row.inspected_epoch !== null)
        .map((row) => [row.hostname, row.inspect]);
      if (infos.length === 0) {
        // No inspect snapshot stored yet: ask the workers once (coalesced with other refreshes).
        infos = [...(await deps.inspector.refresh(connectionId).catch(() => new Map()))];
      }
      if (infos.length === 0) {
        res.json({
          active: null,
          scheduled: null,
          reserved: null,
          revoked: null,
          query_task: null,
          stats: null,
        });
        return;
      }
      // Worker names are data: Object.fromEntries defines each as an own field, `__proto__` included,
      // and the section name is looked up as an own field of the snapshot only.
      const section = (name: string) =>
        Object.fromEntries(
          infos.map(([hostname, info]) => [hostname, Object.hasOwn(info, name) ? info[name] : null]),
        );
      res.json({
        active: section('active'),
        scheduled: section('scheduled'),
        reserved: section('reserved'),
        revoked: section('revoked'),
        // Waldur fills this only when asked about specific tasks; a snapshot has none.
        query_task: null,
        stats: section('stats'),
      });
    })
    .all(methodNotAllowed);
  return router;
}
