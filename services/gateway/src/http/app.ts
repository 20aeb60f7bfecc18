import type { Readiness } from '@celeriac/service-runtime/ops-server';
import express, { type Express, type Request, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { ConcurrencyQuotas } from '../auth/concurrency-quotas';
import type { Authenticator } from '../auth/principal';
import type { RateLimiter } from '../auth/rate-limit';
import { holdSlot, rateLimit } from '../auth/request-quotas';
import { overviewRoutes } from '../dashboard/overview-routes';
import { type SessionDeps, sessionRoutes, signInRoute } from '../dashboard/session-routes';
import { dashboardAssets } from '../dashboard/static-assets';
import { dashboardTaskRoutes } from '../dashboard/task-routes';
import { taskControlRoutes } from '../flower/task-control-routes';
import { taskRunRoutes } from '../flower/task-run-routes';
import { tasksRoutes } from '../flower/tasks-routes';
import { workersRoutes } from '../flower/workers-routes';
import type { FleetSlots } from '../peers/fleet-slots';
import { adminRoutes } from '../v1/admin-routes';
import { v1GapRoutes } from '../v1/gap-routes';
import { openApiDocument } from '../v1/openapi-document';
import { v1ReadRoutes } from '../v1/read-routes';
import { celeryStatsRoutes } from '../waldur/celery-stats-routes';
import type { ApiDeps } from './api-deps';
import { authenticate } from './auth-middleware';
import { errorHandler, notFoundHandler } from './error-handler';
import { multipartFields } from './multipart-fields';
import { opsRoutes } from './ops-routes';
import { paramsFrom } from './params';
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
  /**
   * Per-key request rate and per-key/per-connection caps on waits and refreshes (the streams get the
   * same); with `fleet` (peers on), result waits are counted over every replica.
   */
  quotas?: { concurrency: ConcurrencyQuotas; rate: RateLimiter; fleet?: FleetSlots };
  /** The web dashboard's sign-in (session cookie); without it only API keys are accepted. */
  sessions?: SessionDeps;
  /** The built web dashboard served at `/` (index.html + assets/); without it `/` is a 404. */
  dashboardDir?: string;
  /** Express's `trust proxy` (CELERIAC_GATEWAY_TRUST_PROXY). Default false. */
  trustProxy?: boolean | number | string;
}

const hasTimeout = (req: Request) => paramsFrom(req.query, undefined).string('timeout') !== undefined;
const wantsRefresh = (req: Request) => paramsFrom(req.query, req.body).bool('refresh') === true;

/** The gateway's express app: ops endpoints, then authenticated APIs, then one error mapping. */
export function createApp(options: AppOptions): Express {
  const { deps } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(requestMetrics(options.registry));
  app.use(opsRoutes({ registry: options.registry, readiness: options.readiness }));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  // ---- live streams (SSE); WebSocket upgrades are wired on the HTTP server in server.ts ----
  if (options.liveStreamsRouter) app.use(options.liveStreamsRouter);

  if (options.dashboardDir) app.use(dashboardAssets(options.dashboardDir));
  if (options.sessions) app.use(signInRoute(options.sessions));
  app.use('/api', authenticate(options.authenticator));
  const quotas = options.quotas;
  if (quotas) {
    app.use('/api', rateLimit(quotas.rate));
    // A waiting request holds its slot until its response ends or its client leaves.
    app.post(
      '/api/task/apply/:taskname',
      holdSlot(quotas.concurrency, 'result-wait', deps.resolveConnection, undefined, quotas.fleet),
    );
    app.get(
      '/api/task/result/:taskid',
      holdSlot(quotas.concurrency, 'result-wait', deps.resolveConnection, hasTimeout, quotas.fleet),
    );
  }
  // apply/async-apply/send-task read their raw body as JSON, so they go before the form parser.
  if (options.sessions) app.use(sessionRoutes(options.sessions));
  app.use(taskRunRoutes(deps, options.applyTimeoutSeconds));
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  app.use(multipartFields);
  if (quotas)
    app.get('/api/workers', holdSlot(quotas.concurrency, 'refresh', deps.resolveConnection, wantsRefresh));
  app.use(workersRoutes(deps));
  app.use(tasksRoutes(deps));
  app.use(taskControlRoutes(deps));
  app.use(celeryStatsRoutes(deps));
  app.use(v1ReadRoutes(deps));
  app.use(overviewRoutes(deps));
  app.use(dashboardTaskRoutes(deps));
  // Before the admin routes, whose /api/v1/connections prefix would demand an admin key.
  app.use(v1GapRoutes(deps));
  app.use(adminRoutes(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
