import { backoffDelayMs, pause } from './backoff';
import type { Component } from './lifecycle';
import type { Logger } from './logger';

export interface SupervisedOptions {
  logger: Logger;
  /** Backoff between attempts (capped, full jitter), ms. */
  baseMs?: number;
  maxMs?: number;
  /**
   * How often a started component is checked, ms; one found not healthy is stopped and started
   * again with the same backoff. 0 = only retry the start.
   */
  checkMs?: number;
  /** Whether the started component still works; default `component.isRunning`. */
  healthy?: () => boolean;
}

/**
 * Wraps a component whose start needs a dependency that may be down (Kafka, PostgreSQL): `start()`
 * retries until it succeeds or `stop()` is called, instead of failing the process into a crash loop,
 * and a component that later stops working (a consumer kafkajs gave up on) is restarted. Readiness
 * reads `isRunning`, which is true only while the inner component is started and healthy.
 */
export function supervised(component: Component, options: SupervisedOptions): Component {
  const log = options.logger.child({ component: `supervisor:${component.name}` });
  const healthy = options.healthy ?? (() => component.isRunning);
  let stopping: AbortController | undefined;
  let starting: Promise<void> | undefined;
  let watch: Promise<void> | undefined;

  async function startWithRetry(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await component.start();
        if (attempt > 0) log.info({ attempts: attempt + 1 }, 'component started after retries');
        return;
      } catch (error) {
        // A half-started component (connected, then failed) must not leak its clients.
        await component.stop().catch(() => undefined);
        if (signal.aborted) return;
        const delayMs = backoffDelayMs(attempt, {
          baseMs: options.baseMs ?? 500,
          maxMs: options.maxMs ?? 15_000,
        });
        log.warn({ err: error, attempt, delayMs }, 'component failed to start; retrying');
        await pause(delayMs, signal);
      }
    }
  }

  async function keepHealthy(signal: AbortSignal, checkMs: number): Promise<void> {
    while (!signal.aborted) {
      await pause(checkMs, signal);
      if (signal.aborted || healthy()) continue;
      log.warn('component stopped working; restarting it');
      await component
        .stop()
        .catch((error: unknown) => log.warn({ err: error }, 'stop before restart failed'));
      await startWithRetry(signal);
    }
  }

  return {
    name: component.name,
    get isRunning() {
      return stopping !== undefined && !stopping.signal.aborted && component.isRunning && healthy();
    },
    async start() {
      if (stopping) return;
      const current = new AbortController();
      stopping = current;
      starting = startWithRetry(current.signal);
      await starting;
      if (current.signal.aborted) return;
      if (options.checkMs) watch = keepHealthy(current.signal, options.checkMs);
    },
    async stop() {
      const current = stopping;
      if (!current || current.signal.aborted) return;
      current.abort();
      // An attempt in flight finishes first, so what it opened is closed by the stop below.
      await starting;
      await watch;
      await component.stop();
    },
  };
}
