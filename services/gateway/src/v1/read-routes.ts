import { type Request, type Response, Router } from 'express';
import { BadRequestError, NotFoundError } from '../errors';
import { readQueueFilter, readTaskFilter } from '../flower/task-filters';
import { flowerTask } from '../flower/task-object';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { type Params, paramsFrom, pathParam } from '../http/params';
import { decodeCursor, encodeCursor } from './task-cursor';
import { parseOrder } from './task-order';

function pageLimit(params: Params, fallback: number, max: number): number {
  const limit = params.int('limit') ?? fallback;
  if (limit < 1 || limit > max) throw new BadRequestError(`Parameter 'limit' must be between 1 and ${max}`);
  return limit;
}

/** Celeriac's own read API: cursor pages that stay consistent while tasks keep arriving. */
export function v1ReadRoutes(deps: ApiDeps): Router {
  const router = Router();
  const context = async (req: Request, res: Response) => {
    const params = paramsFrom(req.query, undefined);
    return { params, connectionId: await connectionOf(deps.resolveConnection, req, res, params) };
  };

  router
    .route('/api/v1/tasks')
    .get(async (req, res) => {
      const params = paramsFrom(req.query, undefined);
      const limit = pageLimit(params, 100, 1_000);
      const order = parseOrder(params.string('sort'));
      const after = decodeCursor(params.string('cursor'), order);
      const filter = { ...readTaskFilter(params), queue: readQueueFilter(params) };
      const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
      const rows = await deps.tasks.page(connectionId, filter, order, after, limit);
      const last = rows[rows.length - 1];
      res.json({
        items: rows.map((row) => flowerTask(row, true)),
        nextCursor: rows.length === limit && last ? encodeCursor(last, order) : null,
      });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/tasks/:taskId')
    .get(async (req, res) => {
      const { connectionId } = await context(req, res);
      const id = pathParam(req.params.taskId, 'task id', 255);
      const row = await deps.tasks.get(connectionId, id);
      if (!row) throw new NotFoundError(`Unknown task '${id}'`);
      res.json({ ...flowerTask(row, true), rerunOf: await deps.actions.rerunOf(connectionId, id) });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/tasks/:taskId/events')
    .get(async (req, res) => {
      const { params, connectionId } = await context(req, res);
      const id = pathParam(req.params.taskId, 'task id', 255);
      const limit = pageLimit(params, 100, 1_000);
      const after = params.int('after');
      if (after !== undefined && after < -1)
        throw new BadRequestError("Parameter 'after' must be -1 or more");
      if (!(await deps.tasks.get(connectionId, id))) throw new NotFoundError(`Unknown task '${id}'`);
      const rows = await deps.tasks.events(
        connectionId,
        id,
        after === undefined ? undefined : BigInt(after),
        limit,
      );
      const items = rows.map((row) => ({
        eventId: row.event_id,
        type: row.type,
        hostname: row.hostname,
        timestamp: row.timestamp,
        clock: row.clock === null ? null : Number(row.clock),
        receivedAt: row.received_at.toISOString(),
        partition: row.kafka_partition,
        offset: Number(row.kafka_offset),
        fields: row.fields,
      }));
      const last = items[items.length - 1];
      res.json({ items, nextAfter: rows.length === limit && last ? last.offset : null });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/workers')
    .get(async (req, res) => {
      const { connectionId } = await context(req, res);
      const rows = await deps.workers.list(connectionId);
      res.json({
        items: rows.map((row) => ({
          hostname: row.hostname,
          online: row.online,
          alive: row.alive,
          pid: row.pid === null ? null : Number(row.pid),
          freq: row.freq,
          active: row.active,
          processed: row.processed === null ? null : Number(row.processed),
          loadavg: row.loadavg,
          swIdent: row.sw_ident,
          swVer: row.sw_ver,
          swSys: row.sw_sys,
          lastHeartbeat: row.last_heartbeat,
          inspectedAt: row.inspected_epoch,
          inspect: row.inspect,
        })),
      });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/queues')
    .get(async (req, res) => {
      const { connectionId } = await context(req, res);
      const rows = await deps.workers.queues(connectionId);
      res.json({
        items: rows.map((row) => ({
          name: row.name,
          messages: Number(row.messages),
          consumers: Number(row.consumers),
          sampledAt: row.sampled_at.toISOString(),
        })),
      });
    })
    .all(methodNotAllowed);
  return router;
}
