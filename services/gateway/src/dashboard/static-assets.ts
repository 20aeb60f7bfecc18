import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type RequestHandler, type Response, Router } from 'express';

/**
 * services/dashboard/dist, found from this file: two folders under the gateway package both in the
 * repository (src/dashboard/) and in the image (dist/dashboard/), where build.sh copies it alike.
 */
export function defaultDashboardDir(): string {
  return resolve(import.meta.dirname, '../../../dashboard/dist');
}

/**
 * Paths that are never the page: the APIs, the ops endpoints and the streams. Case-insensitive, as
 * express routes are: /API/tasks reaches the API (and its 401), never index.html.
 */
const NOT_THE_PAGE = /^\/(?:api|metrics|healthz|readyz|healthcheck|ws)(?:\/|$)/i;

/**
 * The page may load only its own scripts, styles, images and fonts and talk only to its own origin
 * (fetch, EventSource, WebSocket): an injected string cannot pull code or send data elsewhere.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Celeriac dashboard not built</title></head>
<body><h1>The Celeriac dashboard is not built</h1>
<p>Build it with <code>npm run build -w @celeriac/dashboard</code> (or point
<code>CELERIAC_GATEWAY_DASHBOARD_DIR</code> at a built copy). The API answers under <code>/api</code>.</p>
</body></html>
`;

function pageHeaders(res: Response): void {
  res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('X-Frame-Options', 'DENY');
  // Stream URLs may carry ?token=: never hand them to another site.
  res.set('Referrer-Policy', 'no-referrer');
}

/**
 * The built dashboard at `/`: hashed assets cached for a year, index.html revalidated every time, and
 * index.html for every other page path (client-side routes). 503 with how to build it when absent.
 */
export function dashboardAssets(dir: string): Router {
  const router = Router();
  const index = join(dir, 'index.html');
  const security: RequestHandler = (_req, res, next) => {
    pageHeaders(res);
    next();
  };
  router.use(
    '/assets',
    security,
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, redirect: false }),
    (req, res) => void res.status(404).json({ error: `No asset ${req.path}` }),
  );
  const page: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_THE_PAGE.test(req.path)) return next();
    pageHeaders(res);
    if (!existsSync(index)) {
      res.status(503).set('Cache-Control', 'no-store').type('html').send(NOT_BUILT);
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index, { cacheControl: false, dotfiles: 'deny' });
  };
  // Other top-level files of the build (favicon, robots.txt) are not content-hashed: revalidated.
  const files = express.static(dir, {
    index: false,
    redirect: false,
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('Cache-Control', 'no-cache');
    },
  });
  router.use((req, res, next) => {
    if (NOT_THE_PAGE.test(req.path) || req.path === '/index.html') return next();
    pageHeaders(res);
    files(req, res, next);
  });
  router.use(page);
  return router;
}
