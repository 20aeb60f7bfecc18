import type { CollectorStore } from './collector-store';
import { type ConnectionRunner, createConnectionRunner } from './connection-runner';
import { UnknownConnectionError } from './errors';

type RunnerDeps = Omit<Parameters<typeof createConnectionRunner>[0], 'row'>;

/** The runners of the connections this collector holds; the lease manager adds and removes them. */
export function createConnectionRegistry(options: {
  store: Pick<CollectorStore, 'getConnection'>;
  runnerDeps: RunnerDeps;
}) {
  const runners = new Map<string, ConnectionRunner>();
  return {
    async acquire(connectionId: string): Promise<void> {
      if (runners.has(connectionId)) return;
      const row = await options.store.getConnection(connectionId);
      if (!row) throw new UnknownConnectionError(connectionId);
      const runner = createConnectionRunner({ ...options.runnerDeps, row });
      await runner.start();
      runners.set(connectionId, runner);
    },
    async release(connectionId: string): Promise<void> {
      const runner = runners.get(connectionId);
      runners.delete(connectionId);
      await runner?.stop();
    },
    get(connectionId: string): ConnectionRunner | undefined {
      return runners.get(connectionId);
    },
    get size(): number {
      return runners.size;
    },
  };
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>;
