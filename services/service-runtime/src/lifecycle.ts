import type { Logger } from './logger';

/** The lifecycle every long-running component shares. `stop()` must be idempotent. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly isRunning: boolean;
}

/**
 * Starts components in order and, on SIGTERM/SIGINT, stops them in reverse order under a deadline.
 * `onShutdownBegin` runs first so readiness fails before intake stops.
 */
export async function runUntilSignal(options: {
  logger: Logger;
  components: Component[];
  shutdownDeadlineMs: number;
  onShutdownBegin?: () => void;
}): Promise<void> {
  const { logger, components } = options;
  const started: Component[] = [];
  let stopping: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutdown begins');
      options.onShutdownBegin?.();
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs: options.shutdownDeadlineMs }, 'shutdown deadline passed, exiting');
        process.exit(1);
      }, options.shutdownDeadlineMs);
      deadline.unref();
      for (const component of [...started].reverse()) {
        try {
          await component.stop();
        } catch (error) {
          logger.error({ err: error, component: component.name }, 'component failed to stop');
        }
      }
      clearTimeout(deadline);
      logger.info('shutdown complete');
    })();
    return stopping;
  };

  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(0)));

  for (const component of components) {
    try {
      await component.start();
      started.push(component);
      logger.info({ component: component.name }, 'component started');
    } catch (error) {
      logger.error({ err: error, component: component.name }, 'component failed to start');
      await shutdown('start failure');
      process.exit(1);
    }
  }
}
