import type { Readiness } from '@celeriac/service-runtime/ops-server';
import express, { type Express, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../auth/principal';
import { taskControlRoutes } from '../flower/task-control-routes';
import { taskRunRoutes } from '../flower/task-run-routes';
import { tasksRoutes } from '../flower/tasks-routes';
import { workersRoutes } from '../flower/workers-routes';
import { adminRoutes } from '../v1/admin-routes';
import { openApiDocument } from '../v1/openapi-document';
import { v1ReadRoutes } from '../v1/read-routes';
import { celeryStatsRoutes } from '../waldur/celery-stats-routes';
import type { ApiDeps } from './api-deps';
import { authenticate } from './auth-middleware';
import { errorHandler, notFoundHandler } from './error-handler';
import { multipartFields } from './multipart-fields';
import { opsRoutes } from './ops-routes';
import { requestMetrics } from './request-metrics';

export interface AppOptions {
  deps: ApiDeps;
  authenticator: Authenticator;
  registry: Registry;
  readiness: Readiness;
  /** How long POST /api/task/apply waits for the result (Flower waits forever). */
  applyTimeoutSeconds: number;
  /** The live streams' router (GET /api/events/stream); it authenticates its own requests. */
  liveStreamsRouter?: Router;
}

/** The gateway's express app: ops endpoints, then authenticated APIs, then one error mapping. */
export function createApp(options: AppOptions): Express {
  const { deps } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestMetrics(options.registry));
  app.use(opsRoutes({ registry: options.registry, readiness: options.readiness }));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  // ---- live streams (SSE); WebSocket upgrades are wired on the HTTP server in server.ts ----
  if (options.liveStreamsRouter) app.use(options.liveStreamsRouter);

  app.use('/api', authenticate(options.authenticator));
  // apply/async-apply/send-task read their raw body as JSON, so they go before the form parser.
  app.use(taskRunRoutes(deps, options.applyTimeoutSeconds));
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  app.use(multipartFields);
  app.use(workersRoutes(deps));
  app.use(tasksRoutes(deps));
  app.use(taskControlRoutes(deps));
  app.use(celeryStatsRoutes(deps));
  app.use(v1ReadRoutes(deps));
  app.use(adminRoutes(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
