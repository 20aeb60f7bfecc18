import { z } from 'zod';
import { pause } from './backoff';
import type { Component } from './lifecycle';
import type { Logger } from './logger';

const ms = z.coerce.number().int().positive();

/** How dependencies are watched for /readyz; every service spreads these into its config schema. */
export const dependencyProbeKnobs = {
  /** Time between two readiness checks of one dependency (PostgreSQL, Kafka), ms. Default 2000. */
  CELERIAC_DEPENDENCY_CHECK_MS: ms.default(2_000),
  /** A check not answered within this counts as failed, ms. Default 5000. */
  CELERIAC_DEPENDENCY_CHECK_TIMEOUT_MS: ms.default(5_000),
};

/**
 * Watches one dependency (PostgreSQL, Kafka) with a cheap periodic check, so /readyz can say which
 * dependency is down while the process stays up and keeps retrying. Starts pessimistic: not
 * reachable until a first check passed. Logs only transitions, not every failed check.
 */
export interface DependencyProbe extends Component {
  readonly dependency: string;
  readonly reachable: boolean;
  /** Null when reachable, else `<dependency> unreachable: <why>` for /readyz. */
  notReadyReason(): string | null;
}

export function createDependencyProbe(options: {
  dependency: string;
  /** Must settle by itself; a check still pending after `timeoutMs` counts as failed. */
  check: () => Promise<void>;
  logger: Logger;
  /** Between checks, ms. */
  intervalMs: number;
  timeoutMs: number;
}): DependencyProbe {
  const log = options.logger.child({ component: 'dependency-probe', dependency: options.dependency });
  let reachable = false;
  let lastError = 'not checked yet';
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function checkOnce(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    try {
      await Promise.race([options.check(), timeout]);
      if (!reachable) log.info('dependency reachable');
      reachable = true;
    } catch (error) {
      lastError = error instanceof Error ? error.message.slice(0, 200) : 'check failed';
      if (reachable) log.warn({ err: error }, 'dependency unreachable');
      reachable = false;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    name: `${options.dependency}-probe`,
    dependency: options.dependency,
    get reachable() {
      return reachable;
    },
    get isRunning() {
      return loop !== undefined;
    },
    notReadyReason: () => (reachable ? null : `${options.dependency} unreachable: ${lastError}`),
    async start() {
      if (loop) return;
      const current = new AbortController();
      controller = current;
      // The first result is not awaited: start-up must not block on a dependency that is down.
      loop = (async () => {
        while (!current.signal.aborted) {
          await checkOnce();
          await pause(options.intervalMs, current.signal);
        }
      })();
    },
    async stop() {
      controller?.abort();
      await loop;
      loop = undefined;
    },
  };
}

/** The first reason any check gives, for /readyz; null when all are ready. */
export function firstNotReady(checks: Array<() => string | null>): string | null {
  for (const check of checks) {
    const reason = check();
    if (reason) return reason;
  }
  return null;
}
