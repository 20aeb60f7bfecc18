import type { Logger } from '@celeriac/service-runtime/logger';
import { UnavailableError } from '../errors';
import type { ControlGateway } from './control-gateway';
import { safeInspectReply } from './worker-inspect';

/** One worker's replies by inspect method, plus `timestamp` (epoch seconds of the refresh). */
export type WorkerInspect = Record<string, unknown>;
/**
 * Keyed by worker node name, which is whatever a worker calls itself: a Map, so a worker named
 * `__proto__` or `constructor` is one more entry and never reaches Object.prototype.
 */
export type InspectInfo = Map<string, WorkerInspect>;

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
    const info: InspectInfo = new Map();
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
        let entry = info.get(node);
        if (!entry) {
          entry = {};
          info.set(node, entry);
        }
        entry[method] = safeInspectReply(method, reply);
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
      if (all) return all.then((info) => only(info, workername));
      return join(`${connectionId}\u0000${workername}`, () => round(connectionId, workername));
    },
  };
}

export type Inspector = ReturnType<typeof createInspector>;

function only(info: InspectInfo, workername: string): InspectInfo {
  const entry = info.get(workername);
  return entry ? new Map([[workername, entry]]) : new Map();
}
