import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGatewayProcess } from '../testing/gateway-process';

// A real gateway process serving a dashboard folder that starts empty and is then "built" into.
let gw: GatewayProcess;
let dir: string;
const INDEX =
  '<!doctype html><title>Celeriac</title><script type="module" src="/assets/app-3f2a9c.js"></script>';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celeriac-dashboard-'));
  gw = await startGatewayProcess({ CELERIAC_GATEWAY_DASHBOARD_DIR: dir });
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, init);

describe('dashboard static assets', () => {
  it('answers 503 with the build command while the dashboard is not built, then serves it', async () => {
    const missing = await get('/');
    expect(missing.status).toBe(503);
    expect(missing.headers.get('content-type')).toContain('text/html');
    expect(await missing.text()).toContain('npm run build -w @celeriac/dashboard');

    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), INDEX);
    await writeFile(join(dir, 'assets', 'app-3f2a9c.js'), 'console.log("dashboard");');
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('caches hashed assets for a year and answers 404 JSON for a missing one', async () => {
    const asset = await get('/assets/app-3f2a9c.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await get('/assets/app-000000.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('app-000000.js');
  });

  it('answers index.html for client-side routes, never for the APIs or the ops endpoints', async () => {
    for (const path of ['/tasks', '/tasks/0f3c?state=FAILURE', '/workers/celery@w1', '/index.html']) {
      const reply = await get(path);
      expect({ path, status: reply.status }).toEqual({ path, status: 200 });
      expect(await reply.text()).toBe(INDEX);
      expect(reply.headers.get('cache-control')).toBe('no-cache');
    }
    const api = await get('/api/v1/tasks');
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/json');
    expect(await (await get('/api/nothing-here')).text()).not.toContain('<title>');
    // Express matches routes without regard to case: so does the page's exclusion.
    expect((await get('/API/v1/tasks')).status).toBe(401);
    expect(await (await get('/healthcheck')).text()).toBe('OK');
    expect(await (await get('/metrics')).text()).toContain('# HELP');
    const post = await get('/tasks', { method: 'POST' });
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: string }).error).toBe('No route for POST /tasks');
  });
});
