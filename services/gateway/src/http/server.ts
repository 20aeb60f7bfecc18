import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Express } from 'express';

/** The HTTP listener as a Component; WebSocket upgrades go to `onUpgrade` (the live streams). */
export function createHttpServer(options: {
  app: Express;
  port: number;
  host: string;
  logger: Logger;
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Bounded wait for in-flight requests on stop; then connections are cut. */
  drainMs?: number;
}): Component & { readonly port: number } {
  let server: Server | undefined;
  let port = 0;
  return {
    name: 'http-server',
    get isRunning() {
      return server?.listening ?? false;
    },
    get port() {
      return port;
    },
    async start() {
      const created = createServer(options.app);
      created.on('error', (error) => options.logger.error({ err: error }, 'http server error'));
      created.on('clientError', (_error, socket) => socket.destroy());
      created.on('upgrade', (req, socket, head) => {
        if (options.onUpgrade) options.onUpgrade(req, socket, head);
        else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      });
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(options.port, options.host, () => resolve());
      });
      const address = created.address();
      port = typeof address === 'object' && address ? address.port : options.port;
      server = created;
    },
    async stop() {
      const current = server;
      server = undefined;
      if (!current) return;
      const closed = new Promise<void>((resolve) => current.close(() => resolve()));
      current.closeIdleConnections();
      const timer = setTimeout(() => current.closeAllConnections(), options.drainMs ?? 5_000);
      await closed;
      clearTimeout(timer);
    },
  };
}
