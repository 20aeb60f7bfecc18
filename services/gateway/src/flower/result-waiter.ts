import { UnavailableError } from '../errors';
import type { TaskRow } from './task-object';

/** Celery's READY_STATES: the task will not change any more. */
export const READY_STATES = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/**
 * Waits for a task to reach a ready state in the read model (Celeriac reads no result backend; the
 * projector folds task-succeeded/failed into celeriac.tasks). Polls with a growing interval; the number
 * of concurrent waits is capped so slow tasks cannot pile up unbounded work.
 */
export function createResultWaiter(options: {
  load: (connectionId: string, uuid: string) => Promise<TaskRow | undefined>;
  maxConcurrent?: number;
  /** Injected so tests and the benchmark can run without real time passing. */
  delay?: (ms: number) => Promise<void>;
  now: () => number;
}) {
  const maxConcurrent = options.maxConcurrent ?? 200;
  const delay = options.delay ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let waiting = 0;
  return {
    /** The task row once ready, or the latest row (possibly undefined) when `timeoutSeconds` passed. */
    async waitReady(
      connectionId: string,
      uuid: string,
      timeoutSeconds: number,
    ): Promise<TaskRow | undefined> {
      if (waiting >= maxConcurrent)
        throw new UnavailableError('Too many clients are waiting for task results');
      waiting += 1;
      try {
        const deadline = options.now() + timeoutSeconds * 1000;
        let interval = 50;
        for (;;) {
          const row = await options.load(connectionId, uuid);
          if (row && READY_STATES.has(row.state)) return row;
          const left = deadline - options.now();
          if (left <= 0) return row;
          await delay(Math.min(interval, left));
          interval = Math.min(interval * 2, 1_000);
        }
      } finally {
        waiting -= 1;
      }
    },
  };
}

export type ResultWaiter = ReturnType<typeof createResultWaiter>;
