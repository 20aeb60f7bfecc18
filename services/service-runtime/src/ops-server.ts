import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Component } from './lifecycle';
import type { Logger } from './logger';

export interface Readiness {
  /** Null when ready, otherwise why not (shown on /readyz). */
  notReadyReason(): string | null;
}

/**
 * /metrics, /healthz and /readyz for services that have no HTTP API of their own (collector,
 * projector). The gateway mounts the same handlers on its express app instead.
 */
export function createOpsServer(options: {
  port: number;
  host: string;
  registry: Registry;
  readiness: Readiness;
  logger: Logger;
}): Component & { readonly address: string } {
  let server: Server | undefined;
  let address = '';
  return {
    name: 'ops-server',
    get isRunning() {
      return server?.listening ?? false;
    },
    get address() {
      return address;
    },
    async start() {
      server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/healthz') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        } else if (path === '/readyz') {
          const reason = options.readiness.notReadyReason();
          res
            .writeHead(reason ? 503 : 200, { 'content-type': 'application/json' })
            .end(JSON.stringify(reason ? { status: 'not ready', reason } : { status: 'ready' }));
        } else if (path === '/metrics') {
          options.registry.metrics().then(
            (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
            (error: unknown) => {
              options.logger.error({ err: error }, 'metrics collection failed');
              res
                .writeHead(500, { 'content-type': 'application/json' })
                .end('{"error":"metrics unavailable"}');
            },
          );
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        }
      });
      server.on('error', (error) => options.logger.error({ err: error }, 'ops server error'));
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(options.port, options.host, () => resolve());
      });
      const bound = server.address();
      address = typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : String(bound);
    },
    async stop() {
      const current = server;
      server = undefined;
      if (!current) return;
      await new Promise<void>((resolve) => current.close(() => resolve()));
      current.closeAllConnections();
    },
  };
}
