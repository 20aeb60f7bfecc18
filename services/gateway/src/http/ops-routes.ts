import type { Readiness } from '@celeriac/service-runtime/ops-server';
import { Router } from 'express';
import type { Registry } from 'prom-client';

/** /metrics, /healthz, /readyz and Flower's /healthcheck: never authenticated (as in Flower). */
export function opsRoutes(options: { registry: Registry; readiness: Readiness }): Router {
  const router = Router();
  router.get('/healthcheck', (_req, res) => {
    res.type('text/plain').send('OK');
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const reason = options.readiness.notReadyReason();
    res.status(reason ? 503 : 200).json(reason ? { status: 'not ready', reason } : { status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });
  return router;
}
