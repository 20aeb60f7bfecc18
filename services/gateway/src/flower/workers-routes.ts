import { Router } from 'express';
import type { WorkerRow } from '../data/workers-store';
import { BadRequestError, NotFoundError } from '../errors';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf, requirePermission } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { type Params, paramsFrom, pathParam, requiredInt, requiredString } from '../http/params';
import { commandWorker } from './worker-commands';

/** Celery's pool_grow/pool_shrink step and autoscale bounds: processes, far above any real pool. */
const POOL_STEP = { min: 1, max: 10_000 };
const POOL_SIZE = { min: 0, max: 10_000 };
const MAX_WORKER_NAME = 512;

function storedInfo(row: WorkerRow): Record<string, unknown> {
  const info: Record<string, unknown> = { ...row.inspect };
  if (row.inspected_epoch !== null) info.timestamp = row.inspected_epoch;
  return info;
}

/**
 * Worker names are data: the answer is gathered in a Map and turned into JSON through
 * Object.fromEntries, which defines `__proto__` or `constructor` as ordinary fields.
 */
function workerInfos(
  rows: WorkerRow[],
  fresh: Map<string, Record<string, unknown>>,
  workername: string | undefined,
): Map<string, Record<string, unknown>> {
  const infos = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    if (!workername || row.hostname === workername) infos.set(row.hostname, storedInfo(row));
  }
  for (const [node, info] of fresh) infos.set(node, { ...infos.get(node), ...info });
  return infos;
}

/**
 * GET /api/workers and the worker control endpoints. Known workers come from the read model, which
 * the projector fills from worker events and the collector's periodic inspects, so a worker that
 * joined after start-up is known without a manual refresh (Flower needs ?refresh=1 first).
 */
export function workersRoutes(deps: ApiDeps): Router {
  const router = Router();
  const unknownWorker = (name: string) => new NotFoundError(`Unknown worker '${name}'`);

  router
    .route('/api/workers')
    .get(async (req, res) => {
      const params = paramsFrom(req.query, req.body);
      const refresh = params.bool('refresh') ?? false;
      const status = params.bool('status') ?? false;
      const workername = params.string('workername') || undefined;
      if (workername && workername.length > MAX_WORKER_NAME)
        throw new BadRequestError(`Parameter 'workername' is longer than ${MAX_WORKER_NAME} characters`);
      const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
      const fresh = refresh ? await deps.inspector.refresh(connectionId, workername) : new Map();
      const rows = await deps.workers.list(connectionId);
      if (status) {
        res.json(Object.fromEntries(rows.map((row) => [row.hostname, row.alive])));
        return;
      }
      const infos = workerInfos(rows, fresh, workername);
      if (workername && !infos.has(workername)) throw unknownWorker(workername);
      res.json(Object.fromEntries(infos));
    })
    .all(methodNotAllowed);

  type Handler = (ctx: { connectionId: string; worker: string; params: Params }) => Promise<string>;
  const command = (path: string, handler: Handler) =>
    router
      .route(path)
      .post(requirePermission('command'), async (req, res) => {
        const params = paramsFrom(req.query, req.body);
        const worker = pathParam(req.params.worker, 'worker name');
        const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
        if (!(await deps.workers.get(connectionId, worker))) throw unknownWorker(worker);
        res.json({ message: await handler({ connectionId, worker, params }) });
      })
      .all(methodNotAllowed);

  command('/api/worker/shutdown/:worker', async ({ connectionId, worker }) => {
    // Celery's shutdown never replies: the worker exits before it could.
    await deps.control.broadcast(connectionId, 'shutdown', {}, { destination: [worker], reply: false });
    return 'Shutting down!';
  });
  command('/api/worker/pool/restart/:worker', async ({ connectionId, worker }) => {
    const failure = `Failed to restart the '${worker}' pool`;
    await commandWorker(deps.control, connectionId, worker, 'pool_restart', { reload: false }, failure);
    return `Restarting '${worker}' worker's pool`;
  });
  for (const [verb, celeryCommand, gerund] of [
    ['grow', 'pool_grow', 'Growing'],
    ['shrink', 'pool_shrink', 'Shrinking'],
  ] as const) {
    command(`/api/worker/pool/${verb}/:worker`, async ({ connectionId, worker, params }) => {
      const n = params.int('n', POOL_STEP) ?? 1;
      const failure = `Failed to ${verb} '${worker}' worker's pool`;
      await commandWorker(deps.control, connectionId, worker, celeryCommand, { n }, failure);
      return `${gerund} '${worker}' worker's pool by ${n}`;
    });
  }
  command('/api/worker/pool/autoscale/:worker', async ({ connectionId, worker, params }) => {
    const min = requiredInt(params, 'min', POOL_SIZE);
    const max = requiredInt(params, 'max', POOL_SIZE);
    const failure = `Failed to autoscale '${worker}' worker`;
    await commandWorker(deps.control, connectionId, worker, 'autoscale', { max, min }, failure);
    return `Autoscaling '${worker}' worker (min=${min}, max=${max})`;
  });
  command('/api/worker/queue/add-consumer/:worker', async ({ connectionId, worker, params }) => {
    const queue = requiredString(params, 'queue');
    const failure = `Failed to add '${queue}' consumer to '${worker}' worker`;
    return commandWorker(deps.control, connectionId, worker, 'add_consumer', { queue }, failure);
  });
  command('/api/worker/queue/cancel-consumer/:worker', async ({ connectionId, worker, params }) => {
    const queue = requiredString(params, 'queue');
    const failure = `Failed to cancel '${queue}' consumer from '${worker}' worker`;
    return commandWorker(deps.control, connectionId, worker, 'cancel_consumer', { queue }, failure);
  });
  return router;
}
