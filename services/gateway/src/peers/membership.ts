import type { Logger } from '@celeriac/service-runtime/logger';
import type { Member, MembersStore } from '../data/members-store';

/**
 * How a replica learns the live gateway replicas. Pluggable: the heartbeat table below, or (later) a
 * headless Service's DNS records. `members` always includes this replica while it runs.
 */
export interface Membership {
  readonly self: Member;
  readonly members: readonly Member[];
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly isRunning: boolean;
  /** Called after every change of the member list (ids or addresses). */
  onChange(listener: (members: readonly Member[]) => void): void;
}

const same = (a: readonly Member[], b: readonly Member[]) =>
  a.length === b.length &&
  a.every((m, i) => m.memberId === b[i]?.memberId && m.peerAddress === b[i]?.peerAddress);

/**
 * Heartbeat rows in PostgreSQL: renew every `renewMs`, gone after `ttlMs` without renewal. When
 * PostgreSQL cannot answer, the last view is kept (partitions do not move on a database blip); a
 * replica that cannot renew for a whole TTL falls back to a view of itself alone, so it tails every
 * partition and serves its own clients rather than relaying to peers it cannot see.
 */
export function createPgMembership(options: {
  store: MembersStore;
  self: Member;
  renewMs: number;
  ttlMs: number;
  logger: Logger;
  now?: () => number;
}): Membership {
  const log = options.logger.child({ component: 'gateway-membership' });
  const now = options.now ?? Date.now;
  const listeners: Array<(members: readonly Member[]) => void> = [];
  let members: readonly Member[] = [options.self];
  let lastRenewal = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const publish = (next: readonly Member[]) => {
    if (same(next, members)) return;
    members = next;
    log.info({ members: next.map((m) => m.memberId) }, 'gateway members changed');
    for (const listener of listeners) listener(next);
  };

  async function tick(): Promise<void> {
    try {
      publish(await options.store.heartbeat(options.self, options.ttlMs));
      lastRenewal = now();
    } catch (error) {
      log.warn({ err: error }, 'membership heartbeat failed');
      if (now() - lastRenewal > options.ttlMs) publish([options.self]);
    }
  }

  const schedule = () => {
    timer = setTimeout(() => {
      void tick().finally(() => {
        if (running) schedule();
      });
    }, options.renewMs);
    timer.unref();
  };

  return {
    self: options.self,
    get members() {
      return members;
    },
    get isRunning() {
      return running;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async start() {
      if (running) return;
      running = true;
      await tick();
      schedule();
    },
    async stop() {
      if (!running) return;
      running = false;
      clearTimeout(timer);
      await options.store.leave(options.self.memberId).catch((error: unknown) => {
        log.warn({ err: error }, 'could not leave the gateway members; peers wait for the TTL');
      });
    },
  };
}
