import express, { type Request, type Response, Router } from 'express';
import { NotFoundError } from '../errors';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf, requirePermission } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom, pathParam } from '../http/params';
import { READY_STATES } from './result-waiter';
import { parseTaskBody } from './task-message-options';
import { isKnownTaskName } from './task-names';
import type { TaskRow } from './task-object';

/** Aborted when the client goes away (set by the result-wait quota), so its wait stops polling. */
function requestSignal(res: Response): AbortSignal | undefined {
  const signal: unknown = res.locals.requestSignal;
  return signal instanceof AbortSignal ? signal : undefined;
}

/** Said in every result answer: Celeriac has no result backend, the read model is the source. */
export const RESULT_NOTE =
  'No result backend is read: state and result come from task events (result is the worker repr text).';
const MAX_RESULT_TIMEOUT_SECONDS = 300;

function resultBody(id: string, row: TaskRow | undefined, includeResult: boolean): Record<string, unknown> {
  const state = row?.state ?? 'PENDING';
  const body: Record<string, unknown> = { 'task-id': id, state };
  if (includeResult && row && READY_STATES.has(state)) {
    body.result = state === 'FAILURE' ? row.exception : row.result;
    if (state === 'FAILURE') body.traceback = row.traceback;
  }
  body.note = RESULT_NOTE;
  return body;
}

/**
 * apply / async-apply / send-task publish through the collector; apply and result then wait on the
 * read model. These routes read the raw body as JSON whatever its Content-Type, as Flower does.
 */
export function taskRunRoutes(deps: ApiDeps, applyTimeoutSeconds: number): Router {
  const router = Router();
  const rawBody = express.text({ type: () => true, limit: '1mb' });

  const publish = async (req: Request, res: Response, checkRegistered: boolean) => {
    const taskName = pathParam(req.params.taskname, 'task name', 255);
    const body = parseTaskBody(typeof req.body === 'string' ? req.body : '', deps.now());
    const connectionId = await connectionOf(
      deps.resolveConnection,
      req,
      res,
      paramsFrom(req.query, undefined),
    );
    if (checkRegistered && !(await isKnownTaskName(deps, connectionId, taskName))) {
      throw new NotFoundError(`Unknown task '${taskName}'`);
    }
    // Trusted fields last: nothing in the body can name another connection or task.
    const taskId = await deps.control.sendTask({ ...body, connectionId, taskName });
    return { connectionId, taskId };
  };

  router
    .route('/api/task/apply/:taskname')
    .post(requirePermission('command'), rawBody, async (req, res) => {
      const { connectionId, taskId } = await publish(req, res, true);
      const row = await deps.results.waitReady(connectionId, taskId, applyTimeoutSeconds, requestSignal(res));
      res.json(resultBody(taskId, row, true));
    })
    .all(methodNotAllowed);

  for (const [path, checkRegistered] of [
    ['/api/task/async-apply/:taskname', true],
    ['/api/task/send-task/:taskname', false],
  ] as const) {
    router
      .route(path)
      .post(requirePermission('command'), rawBody, async (req, res) => {
        const { taskId } = await publish(req, res, checkRegistered);
        res.json({ 'task-id': taskId, state: 'PENDING' });
      })
      .all(methodNotAllowed);
  }

  router
    .route('/api/task/result/:taskid')
    .get(async (req, res) => {
      const params = paramsFrom(req.query, undefined);
      const taskId = pathParam(req.params.taskid, 'task id', 255);
      const timeout = params.float('timeout', { min: 0, max: MAX_RESULT_TIMEOUT_SECONDS });
      const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
      const row =
        timeout === undefined
          ? await deps.tasks.get(connectionId, taskId)
          : await deps.results.waitReady(connectionId, taskId, timeout, requestSignal(res));
      // Unknown ids read as PENDING, as in Celery/Flower: a task may not have been received yet.
      res.json(resultBody(taskId, row, true));
    })
    .all(methodNotAllowed);
  return router;
}
