import { type Request, type Response, Router } from 'express';
import { BadRequestError, NotFoundError } from '../errors';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf, requestConnection } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom } from '../http/params';
import { readTaskFilter } from './task-filters';
import { taskMapFromJsonRows } from './task-json-sql';
import { flowerTask } from './task-object';
import { parseSortBy } from './task-sort';

/** Flower's read endpoints for tasks and queues, answered from the PostgreSQL read models. */
export function tasksRoutes(deps: ApiDeps): Router {
  const router = Router();

  router
    .route('/api/tasks')
    .get(async (req, res) => {
      const params = paramsFrom(req.query, req.body);
      const requested = params.int('limit');
      // PostgreSQL reads and discards every skipped row, so a deep offset costs a full scan.
      const offset = Math.max(0, params.int('offset') ?? 0);
      if (offset > deps.maxOffset) {
        throw new BadRequestError(
          `Parameter 'offset' must be at most ${deps.maxOffset}: narrow the range with received_start/received_end, or page with /api/v1/tasks cursors`,
        );
      }
      const sort = parseSortBy(params.string('sort_by'));
      const filter = readTaskFilter(params);
      const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
      // Flower 2.1: limit 0 or negative is an empty result. No limit means "all" in Flower; Celeriac
      // caps every response at maxPageSize so one request cannot load a whole history into memory.
      if (requested !== undefined && requested <= 0) {
        res.type('application/json').send('{}');
        return;
      }
      const limit = Math.min(requested ?? deps.maxPageSize, deps.maxPageSize);
      if (requested === undefined || requested > deps.maxPageSize) res.set('X-Celeriac-Limit', String(limit));
      const rows = await deps.tasks.listJson(connectionId, filter, sort, limit, offset);
      res.type('application/json').send(taskMapFromJsonRows(rows));
    })
    .all(methodNotAllowed);

  router
    .route('/api/task/types')
    .get(async (req, res) => {
      const connectionId = await requestConnection(deps.resolveConnection, req, res);
      res.json({ 'task-types': await deps.tasks.types(connectionId) });
    })
    .all(methodNotAllowed);

  const info = async (req: Request, res: Response) => {
    const connectionId = await requestConnection(deps.resolveConnection, req, res);
    const id = typeof req.params.taskid === 'string' ? req.params.taskid : '';
    const row =
      id && id.length <= 255 && !id.includes('\u0000') ? await deps.tasks.get(connectionId, id) : undefined;
    if (!row) throw new NotFoundError(`Unknown task '${id}'`);
    res.json(flowerTask(row, true));
  };
  router.route('/api/task/info/:taskid').get(info).all(methodNotAllowed);
  router.route('/api/task/info/').get(info).all(methodNotAllowed);

  router
    .route('/api/queues/length')
    .get(async (req, res) => {
      const connectionId = await requestConnection(deps.resolveConnection, req, res);
      const queues = await deps.workers.queues(connectionId);
      // Sampled by the collector with passive declares, so no RabbitMQ management plugin is needed.
      res.json({
        active_queues: queues.map((queue) => ({
          name: queue.name,
          messages: Number(queue.messages),
          consumers: Number(queue.consumers),
        })),
      });
    })
    .all(methodNotAllowed);
  return router;
}
