import { READY_STATES } from '@celeriac/celery-domain/celery-states';
import { type Request, type Response, Router } from 'express';
import { WORKFLOW_LIMIT } from '../data/task-actions-store';
import { ConflictError, NotFoundError } from '../errors';
import { flowerTask } from '../flower/task-object';
import type { ApiDeps } from '../http/api-deps';
import { connectionOf, principalOf, requirePermission } from '../http/auth-middleware';
import { methodNotAllowed } from '../http/error-handler';
import { paramsFrom, pathParam } from '../http/params';
import { rerunMessage } from './rerun-message';

/** Celery's final states: a task in one of them will not run again by itself. */

/** A task's workflow tree, its command record, and re-run (operators). */
export function dashboardTaskRoutes(deps: ApiDeps): Router {
  const router = Router();
  const target = async (req: Request, res: Response) => {
    const params = paramsFrom(req.query, undefined);
    const connectionId = await connectionOf(deps.resolveConnection, req, res, params);
    return { connectionId, taskId: pathParam(req.params.taskId, 'task id', 255) };
  };

  router
    .route('/api/v1/tasks/:taskId/workflow')
    .get(async (req, res) => {
      const { connectionId, taskId } = await target(req, res);
      const task = await deps.tasks.get(connectionId, taskId);
      if (!task) throw new NotFoundError(`Unknown task '${taskId}'`);
      const rootId = task.root_id ?? task.uuid;
      const rows = await deps.actions.workflow(connectionId, rootId);
      res.json({
        rootId,
        truncated: rows.length > WORKFLOW_LIMIT,
        tasks: rows.slice(0, WORKFLOW_LIMIT).map((row) => flowerTask(row, true)),
      });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/tasks/:taskId/actions')
    .get(async (req, res) => {
      const { connectionId, taskId } = await target(req, res);
      const items = await deps.actions.list(connectionId, taskId);
      if (items.length === 0 && !(await deps.tasks.get(connectionId, taskId)))
        throw new NotFoundError(`Unknown task '${taskId}'`);
      res.json({
        items: items.map((row) => ({
          action: row.action,
          keyName: row.key_name,
          at: row.at.toISOString(),
          newTaskId: row.new_task_id,
        })),
      });
    })
    .all(methodNotAllowed);

  router
    .route('/api/v1/tasks/:taskId/rerun')
    .post(requirePermission('command'), async (req, res) => {
      const { connectionId, taskId } = await target(req, res);
      const source = await deps.actions.rerunSource(connectionId, taskId);
      if (!source) throw new NotFoundError(`Unknown task '${taskId}'`);
      if (!READY_STATES.has(source.state))
        throw new ConflictError(`Task '${taskId}' is ${source.state}: only a finished task can be re-run`);
      // Trusted fields last, as on the Flower send routes: the task's own text never names the connection.
      const newTaskId = await deps.control.sendTask({ ...rerunMessage(taskId, source), connectionId });
      const principal = principalOf(res);
      await deps.actions.record({
        connectionId,
        taskId,
        action: 'rerun',
        keyId: principal.keyId,
        keyName: principal.name ?? null,
        newTaskId,
      });
      res.status(202).json({ taskId: newTaskId, rerunOf: taskId });
    })
    .all(methodNotAllowed);
  return router;
}
