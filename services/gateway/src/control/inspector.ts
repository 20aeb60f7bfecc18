import type { Logger } from '@celeriac/service-runtime/logger';
import { UnavailableError } from '../errors';
import type { ControlGateway } from './control-gateway';

/** Per worker: the reply of each inspect method plus `timestamp` (epoch seconds of the refresh). */
export type InspectInfo = Record<string, Record<string, unknown>>;

const METHODS: Array<[string, Record<string, unknown>]> = [
  ['stats', {}],
  ['active_queues', {}],
  ['registered', {}],
  ['scheduled', {}],
  ['active', { safe: true }],
  ['reserved', {}],
  ['revoked', {}],
  ['conf', {}],
];
const MAX_IN_FLIGHT = 1_000;

/**
 * Flower's worker refresh: the eight inspect methods in parallel. Refreshes are coalesced: while one
 * runs for a connection (all workers) or a worker, a second request for the same joins it, and a
 * worker refresh joins an all-workers one — so a burst of refreshes costs one inspect round.
 */
export function createInspector(options: { control: ControlGateway; logger: Logger; now: () => number }) {
  const inFlight = new Map<string, Promise<InspectInfo>>();

  const round = async (connectionId: string, workername: string | undefined): Promise<InspectInfo> => {
    const destination = workername ? [workername] : [];
    const outcomes = await Promise.allSettled(
      METHODS.map(([method, args]) => options.control.inspect(connectionId, method, args, { destination })),
    );
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    if (failures.length === outcomes.length) throw (failures[0] as PromiseRejectedResult).reason;
    const info: InspectInfo = {};
    const timestamp = options.now() / 1000;
    outcomes.forEach((outcome, index) => {
      const method = METHODS[index]?.[0] as string;
      if (outcome.status === 'rejected') {
        options.logger.warn({ err: outcome.reason, method, connectionId }, 'inspect method failed');
        return;
      }
      for (const { node, reply } of outcome.value) {
        if (reply === null || (typeof reply === 'object' && !Array.isArray(reply) && 'error' in reply))
          continue;
        const entry = info[node] ?? {};
        info[node] = entry;
        entry[method] = method === 'stats' ? withoutAlternates(reply) : reply;
        entry.timestamp = timestamp;
      }
    });
    return info;
  };

  const join = (key: string, start: () => Promise<InspectInfo>): Promise<InspectInfo> => {
    const running = inFlight.get(key);
    if (running) return running;
    if (inFlight.size >= MAX_IN_FLIGHT) throw new UnavailableError('Too many worker refreshes in flight');
    const promise = start().finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  };

  return {
    refresh(connectionId: string, workername?: string): Promise<InspectInfo> {
      const allKey = `${connectionId}\u0000*`;
      if (!workername) return join(allKey, () => round(connectionId, undefined));
      const all = inFlight.get(allKey);
      if (all) return all.then((info) => (info[workername] ? { [workername]: info[workername] } : {}));
      return join(`${connectionId}\u0000${workername}`, () => round(connectionId, workername));
    },
  };
}

export type Inspector = ReturnType<typeof createInspector>;

/** Alternate broker URLs may carry credentials (Flower #1512): never pass them on. */
function withoutAlternates(stats: unknown): unknown {
  if (typeof stats !== 'object' || stats === null) return stats;
  const broker = (stats as { broker?: unknown }).broker;
  if (typeof broker !== 'object' || broker === null) return stats;
  const { alternates: _dropped, ...rest } = broker as Record<string, unknown>;
  return { ...stats, broker: rest };
}
