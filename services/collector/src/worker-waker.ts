import type { Logger } from '@celeriac/service-runtime/logger';
import type { PidboxClient } from './pidbox';

const MAX_PENDING = 1000;
const COALESCE_MS = 250;

/**
 * Re-sends `enable_events` and a `heartbeat` cast to workers that come online (as Flower does), so
 * workers started without -E report task events and show up at once. Neither setting survives a
 * worker restart, hence on every worker-online. Casts are coalesced per short window into one
 * destination list; the pending set is capped.
 */
export function createWorkerWaker(options: { pidbox: Pick<PidboxClient, 'call'>; logger: Logger }) {
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  async function cast(destination: string[], enableEvents: boolean): Promise<void> {
    try {
      if (enableEvents)
        await options.pidbox.call({
          method: 'enable_events',
          arguments: {},
          destination,
          reply: false,
          timeoutMs: 1000,
        });
      await options.pidbox.call({
        method: 'heartbeat',
        arguments: {},
        destination,
        reply: false,
        timeoutMs: 1000,
      });
    } catch (error) {
      options.logger.warn({ err: error }, 'could not wake workers');
    }
  }

  function flush(): void {
    timer = undefined;
    const destination = [...pending];
    pending.clear();
    if (destination.length > 0) void cast(destination, true);
  }

  return {
    wake(hostname: string): void {
      if (pending.size < MAX_PENDING) pending.add(hostname);
      timer ??= setTimeout(flush, COALESCE_MS);
    },
    wakeAll(enableEvents: boolean): void {
      void cast([], enableEvents);
    },
    dispose(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
