import type { Logger } from '@celeriac/service-runtime/logger';
import type { KeyStreamsStore } from '../data/key-streams-store';

/** The per-key stream limit counted over every live gateway replica (peers on). */
export interface FleetStreamLimit {
  readonly limit: number;
  /** Once this replica's slot is taken: whether the fleet has room for the key's streams. */
  admit(caller: string): Promise<boolean>;
  /** Once this replica's slot is freed: tells the fleet the key's new count here. */
  released(caller: string): void;
}

/**
 * Each replica publishes, per key, how many streams it holds (data/key-streams-store.ts); a new stream
 * is admitted when the other live replicas' counts plus this one's stay within the limit. The writes of
 * one key are chained so they reach the database in order (each writes the count current when it runs,
 * so the last one is right). When the database cannot answer, the stream is admitted on this replica's
 * own limit: streams keep working without PostgreSQL, as every other stream path does.
 */
export function createFleetStreamLimit(deps: {
  store: KeyStreamsStore;
  limit: number;
  /** This replica's open streams of the caller (its concurrency quotas). */
  local: (caller: string) => number;
  logger: Logger;
}): FleetStreamLimit {
  const logger = deps.logger.child({ component: 'fleet-stream-limit' });
  // One entry per key with a write in flight: bounded by the keys opening or closing streams now.
  const chains = new Map<string, Promise<unknown>>();
  const chained = <T>(caller: string, task: () => Promise<T>): Promise<T> => {
    const next = (chains.get(caller) ?? Promise.resolve()).catch(() => {}).then(task);
    chains.set(caller, next);
    const forget = () => {
      if (chains.get(caller) === next) chains.delete(caller);
    };
    next.then(forget, forget);
    return next;
  };
  return {
    limit: deps.limit,
    async admit(caller) {
      try {
        return await chained(caller, () => deps.store.admit(caller, () => deps.local(caller), deps.limit));
      } catch (error) {
        logger.warn(
          { err: error },
          'could not count the key across replicas; admitted on this replica alone',
        );
        return true;
      }
    },
    released(caller) {
      chained(caller, () => deps.store.record(caller, deps.local(caller))).catch((error) =>
        logger.warn({ err: error }, 'could not record a closed stream across replicas'),
      );
    },
  };
}
