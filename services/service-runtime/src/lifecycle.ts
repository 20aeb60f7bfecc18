import type { Logger } from './logger';

/** The lifecycle every long-running component shares. `stop()` must be idempotent. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly isRunning: boolean;
}

/**
 * Starts components in order and stops them in reverse order under a deadline on SIGTERM/SIGINT
 * (exit 0), or on a programming error that escaped every handler: an uncaught exception or an
 * unhandled rejection is logged and ends the process through the same ordered shutdown with exit 1,
 * so the orchestrator restarts a replica whose state can no longer be trusted.
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
  let starting: Component | undefined;
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
      // A component still starting (e.g. retrying an unreachable dependency) is stopped first.
      const pending = starting && !started.includes(starting) ? [starting] : [];
      for (const component of [...pending, ...[...started].reverse()]) {
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
  const exitAfterShutdown = (reason: string, code: number) => {
    void shutdown(reason).finally(() => process.exit(code));
  };

  process.once('SIGTERM', () => exitAfterShutdown('SIGTERM', 0));
  process.once('SIGINT', () => exitAfterShutdown('SIGINT', 0));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    exitAfterShutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    exitAfterShutdown('unhandled rejection', 1);
  });

  for (const component of components) {
    if (stopping) return;
    starting = component;
    try {
      await component.start();
    } catch (error) {
      if (stopping) return;
      logger.error({ err: error, component: component.name }, 'component failed to start');
      exitAfterShutdown('start failure', 1);
      return;
    }
    if (stopping) return;
    started.push(component);
    logger.info({ component: component.name }, 'component started');
  }
  starting = undefined;
}
