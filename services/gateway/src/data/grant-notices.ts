import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import type pg from 'pg';

/**
 * The channel a revoked key or a deleted connection is announced on (admin-store.ts), committed in the
 * same statement as the change, so every replica hears of it only once it is visible to their checks.
 * The payload (the key or connection id) is informative: a notice triggers a recheck of every open
 * stream, which asks the database anyway.
 */
export const GRANTS_CHANNEL = 'celeriac_grants_changed';

/**
 * Holds one connection of the pool LISTENing on GRANTS_CHANNEL and calls `onNotice` for every
 * notification. When the connection is lost it reconnects every `retryMs` and calls `onNotice` once
 * back, since a notice sent meanwhile is lost; the periodic sweep covers the time in between.
 */
export function createGrantNotices(deps: {
  pool: pg.Pool;
  logger: Logger;
  onNotice: () => void;
  retryMs: number;
}): Component {
  const logger = deps.logger.child({ component: 'grant-notices' });
  let running = false;
  let client: pg.PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;

  const drop = (error: Error | undefined) => {
    const lost = client;
    client = undefined;
    lost?.removeAllListeners('notification');
    lost?.release(error ?? true);
    if (running && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        void listen(true);
      }, deps.retryMs);
      retry.unref();
    }
  };

  const listen = async (rejoin: boolean): Promise<void> => {
    let next: pg.PoolClient | undefined;
    try {
      next = await deps.pool.connect();
      next.on('notification', (message) => {
        if (message.channel === GRANTS_CHANNEL) deps.onNotice();
      });
      next.on('error', (error) => {
        logger.warn({ err: error }, 'grant notices connection lost; reconnecting');
        if (client === next) drop(error);
      });
      await next.query(`LISTEN ${GRANTS_CHANNEL}`);
      if (!running) {
        next.release(true);
        return;
      }
      client = next;
      if (rejoin) deps.onNotice();
    } catch (error) {
      logger.warn({ err: error }, 'could not listen for grant notices; retrying');
      if (next) {
        client = next;
        drop(error as Error);
      } else drop(undefined);
    }
  };

  return {
    name: 'grant-notices',
    get isRunning() {
      return running;
    },
    async start() {
      if (running) return;
      running = true;
      await listen(false);
    },
    async stop() {
      running = false;
      clearTimeout(retry);
      retry = undefined;
      drop(undefined);
    },
  };
}
