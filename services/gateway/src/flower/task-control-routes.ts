import { type Request, type RequestHandler, type Response, Router } from 'express';
import { BadRequestError, NotFoundError, UnavailableError } from '../errors';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf, principalOf, requestConnection, requirePermission } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom, pathParam } from '../http/params';
import { isKnownTaskName } from './task-names';
import { commandWorker } from './worker-commands';

/** Celery wants an uppercase signal name ("SIGTERM", "TERM", "KILL") or a number. */
const SIGNAL = /^(SIG)?[A-Z0-9]{2,10}$|^\d{1,2}$/;
/** Seconds; ten years is beyond any real time limit. */
const TIME_LIMIT = { min: 0, max: 315_360_000 };

/** POST /api/task/timeout|rate-limit|revoke|abort: per-task remote control. */
export function taskControlRoutes(deps: ApiDeps): Router {
  const router = Router();
  const post = (path: string, handler: RequestHandler) =>
    router.route(path).post(requirePermission('command'), handler).all(methodNotAllowed);

  /** Flower's order: unknown task first, then unknown (or missing) worker. */
  const target = async (req: Request, res: Response) => {
    const params = paramsFrom(req.query, req.body);
    const taskName = pathParam(req.params.taskname, 'task name');
    const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
    if (!(await isKnownTaskName(deps, connectionId, taskName))) {
      throw new NotFoundError(`Unknown task '${taskName}'`);
    }
    const worker = params.string('workername') ?? '';
    if (!worker || worker.length > 512 || !(await deps.workers.get(connectionId, worker))) {
      throw new NotFoundError(`Unknown worker '${worker}'`);
    }
    return { params, taskName, connectionId, worker };
  };

  post('/api/task/timeout/:taskname', async (req, res) => {
    const { params, taskName, connectionId, worker } = await target(req, res);
    const hard = params.float('hard', TIME_LIMIT) ?? null;
    const soft = params.float('soft', TIME_LIMIT) ?? null;
    const args = { task_name: taskName, hard, soft };
    const ok = await commandWorker(
      deps.control,
      connectionId,
      worker,
      'time_limit',
      args,
      'Failed to set timeouts',
    );
    res.json({ message: ok });
  });

  post('/api/task/rate-limit/:taskname', async (req, res) => {
    const { params, taskName, connectionId, worker } = await target(req, res);
    const rateLimit = params.string('ratelimit') ?? '';
    if (rateLimit.length > 64)
      throw new BadRequestError("Parameter 'ratelimit' is longer than 64 characters");
    const args = { task_name: taskName, rate_limit: rateLimit };
    const ok = await commandWorker(
      deps.control,
      connectionId,
      worker,
      'rate_limit',
      args,
      'Failed to set rate limit',
    );
    res.json({ message: ok });
  });

  post('/api/task/revoke/:taskid', async (req, res) => {
    const params = paramsFrom(req.query, req.body);
    const taskId = pathParam(req.params.taskid, 'task id', 255);
    const terminate = params.bool('terminate') ?? false;
    const signal = (params.string('signal') || 'SIGTERM').toUpperCase();
    if (signal.length > 13 || !SIGNAL.test(signal))
      throw new BadRequestError(`Invalid signal '${signal}': use a name such as SIGTERM or KILL`);
    const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
    // Like Flower: broadcast to every worker, no reply, no existence check (it may not have run yet).
    const args = { task_id: taskId, terminate, signal };
    await deps.control.broadcast(connectionId, 'revoke', args, { reply: false });
    const { keyId, name } = principalOf(res);
    const action = terminate ? 'terminate' : 'revoke';
    await deps.actions.record({ connectionId, taskId, action, keyId, keyName: name ?? null });
    res.json({ message: `Revoked '${taskId}'` });
  });

  post('/api/task/abort/:taskid', async (req, res) => {
    await requestConnection(deps.resolveConnection, req, res);
    // Abort writes ABORTED into a result backend that the task polls; Celeriac holds broker
    // connections only, which is Flower's "no result backend configured" case (503).
    throw new UnavailableError(
      'Abort needs a result backend and Celeriac reads none; use /api/task/revoke/<id>?terminate=true',
    );
  });
  return router;
}
