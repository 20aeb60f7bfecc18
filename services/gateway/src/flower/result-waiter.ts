import { TooManyRequestsError, UnavailableError } from '../errors';
import type { TaskRow } from './task-object';

/** Celery's READY_STATES: the task will not change any more. */
export const READY_STATES = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/**
 * Waits for a task to reach a ready state in the read model (Celeriac reads no result backend; the
 * projector folds task-succeeded/failed into celeriac.tasks). Polls with a growing interval; the number
 * of concurrent waits is capped so slow tasks cannot pile up unbounded work.
 *
 * The per-key quota of the HTTP layer ends with the client's request; a wait whose client left keeps
 * polling until its timeout unless it is given `signal`. Those are counted per connection here, so one
 * tenant that opens and drops waits fills its own allowance, never the replica's shared cap.
 */
export function createResultWaiter(options: {
  load: (connectionId: string, uuid: string) => Promise<TaskRow | undefined>;
  maxConcurrent?: number;
  /** Running waits per connection, including those whose client already left (default 100). */
  maxPerConnection?: number;
  /** Injected so tests and the benchmark can run without real time passing. */
  delay?: (ms: number) => Promise<void>;
  now: () => number;
}) {
  const maxConcurrent = options.maxConcurrent ?? 200;
  const maxPerConnection = options.maxPerConnection ?? 100;
  const delay = options.delay ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let waiting = 0;
  const perConnection = new Map<string, number>();
  const count = (connectionId: string, delta: number) => {
    const next = (perConnection.get(connectionId) ?? 0) + delta;
    if (next > 0) perConnection.set(connectionId, next);
    else perConnection.delete(connectionId);
  };
  return {
    /**
     * The task row once ready, or the latest row (possibly undefined) when `timeoutSeconds` passed or
     * `signal` aborted (the client went away).
     */
    async waitReady(
      connectionId: string,
      uuid: string,
      timeoutSeconds: number,
      signal?: AbortSignal,
    ): Promise<TaskRow | undefined> {
      if (waiting >= maxConcurrent)
        throw new UnavailableError('Too many clients are waiting for task results');
      if ((perConnection.get(connectionId) ?? 0) >= maxPerConnection)
        throw new TooManyRequestsError(
          `Too many result waits running for this connection (limit ${maxPerConnection}); retry later`,
          1,
        );
      waiting += 1;
      count(connectionId, 1);
      try {
        const deadline = options.now() + timeoutSeconds * 1000;
        let interval = 50;
        for (;;) {
          const row = await options.load(connectionId, uuid);
          if (row && READY_STATES.has(row.state)) return row;
          const left = deadline - options.now();
          if (left <= 0 || signal?.aborted) return row;
          await delay(Math.min(interval, left));
          interval = Math.min(interval * 2, 1_000);
        }
      } finally {
        waiting -= 1;
        count(connectionId, -1);
      }
    },
  };
}

export type ResultWaiter = ReturnType<typeof createResultWaiter>;
