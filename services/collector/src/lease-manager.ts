import type { Logger } from '@celeriac/service-runtime/logger';
import type { CollectorStore } from './collector-store';

/**
 * Holds this collector's share of the connections. Every `renewMs` it renews the leases it holds,
 * drops the ones it lost, and claims free or expired ones up to a fair share (connections divided by
 * live collectors), so replicas spread out and a dead replica's connections are taken over within
 * TTL + one renew interval. If the database stays unreachable for a whole TTL, it gives everything up,
 * because another collector may already own it.
 */
export function createLeaseManager(options: {
  store: Pick<CollectorStore, 'claimLeases' | 'renewLeases' | 'releaseLeases' | 'leaseCensus'>;
  ownerId: string;
  grpcAddress: () => string;
  ttlMs: number;
  renewMs: number;
  clock: () => number;
  logger: Logger;
  onAcquired: (connectionId: string) => Promise<void>;
  onLost: (connectionId: string) => Promise<void>;
}) {
  const log = options.logger.child({ component: 'lease-manager' });
  /** connectionId -> last successful renewal (local clock, ms). */
  const held = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let ticking: Promise<void> | undefined;

  async function lose(connectionIds: string[]): Promise<void> {
    for (const id of connectionIds) {
      held.delete(id);
      await options
        .onLost(id)
        .catch((error: unknown) =>
          log.error({ err: error, connectionId: id }, 'stopping a lost connection failed'),
        );
    }
  }

  async function tick(): Promise<void> {
    const now = options.clock();
    try {
      const ids = [...held.keys()];
      const kept = new Set(await options.store.renewLeases(options.ownerId, ids, options.ttlMs));
      for (const id of kept) held.set(id, now);
      const lost = ids.filter((id) => !kept.has(id));
      if (lost.length > 0) log.warn({ lost }, 'leases lost to another collector');
      await lose(lost);
      const census = await options.store.leaseCensus(options.ownerId);
      const fairShare = Math.ceil(census.connections / (census.otherOwners + 1));
      const claimed = await options.store.claimLeases({
        ownerId: options.ownerId,
        grpcAddress: options.grpcAddress(),
        ttlMs: options.ttlMs,
        limit: fairShare - held.size,
      });
      for (const id of claimed) {
        held.set(id, now);
        log.info({ connectionId: id }, 'lease acquired');
        try {
          await options.onAcquired(id);
        } catch (error) {
          log.error({ err: error, connectionId: id }, 'cannot consume an acquired connection; releasing it');
          held.delete(id);
          await options.store.releaseLeases(options.ownerId, [id]);
        }
      }
    } catch (error) {
      log.warn({ err: error }, 'lease round failed');
      await lose([...held].filter(([, renewedAt]) => now - renewedAt >= options.ttlMs).map(([id]) => id));
    }
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, options.renewMs);
  }

  return {
    name: 'lease-manager',
    get isRunning() {
      return running;
    },
    owns(connectionId: string): boolean {
      return held.has(connectionId);
    },
    get heldCount(): number {
      return held.size;
    },
    async start() {
      if (running) return;
      running = true;
      ticking = tick();
      await ticking;
      schedule();
    },
    /** Stops every held connection, then releases the leases so others take over at once. */
    async stop() {
      if (!running) return;
      running = false;
      if (timer) clearTimeout(timer);
      await ticking;
      const ids = [...held.keys()];
      await lose(ids);
      await options.store
        .releaseLeases(options.ownerId, ids)
        .catch((error: unknown) => log.warn({ err: error }, 'releasing leases failed; they will expire'));
    },
  };
}

export type LeaseManager = ReturnType<typeof createLeaseManager>;
