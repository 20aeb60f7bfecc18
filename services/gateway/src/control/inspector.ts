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
/** Each method's reply window; a peer that runs the round for this replica gets this plus a margin. */
export const INSPECT_TIMEOUT_SECONDS = 1;

/**
 * Runs a refresh on the connection's designated replica (peers/inspect-relay.ts), or `local` when
 * this replica is the designated one or the peer cannot answer.
 */
export type InspectForward = (
  connectionId: string,
  workername: string | undefined,
  local: () => Promise<InspectInfo>,
) => Promise<InspectInfo>;

/**
 * Flower's worker refresh: the eight inspect methods in parallel. Refreshes are coalesced: while one
 * runs for a connection (all workers) or a worker, a second request for the same joins it, and a
 * worker refresh joins an all-workers one — so a burst of refreshes costs one inspect round. With
 * `forward` (gateway peers), `refresh` goes through it and `refreshLocal` is what a peer asks for:
 * both join the same local rounds, and a peer's request never travels further.
 */
export function createInspector(options: {
  control: ControlGateway;
  logger: Logger;
  now: () => number;
  forward?: InspectForward;
}) {
  const round = async (connectionId: string, workername: string | undefined): Promise<InspectInfo> => {
    const destination = workername ? [workername] : [];
    const outcomes = await Promise.allSettled(
      METHODS.map(([method, args]) =>
        options.control.inspect(connectionId, method, args, {
          destination,
          timeoutSeconds: INSPECT_TIMEOUT_SECONDS,
        }),
      ),
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

  const refreshLocal = coalesced(round);
  const forward = options.forward;
  const refresh = forward
    ? coalesced((connectionId, workername) =>
        forward(connectionId, workername, () => refreshLocal(connectionId, workername)),
      )
    : refreshLocal;
  return { refresh, refreshLocal };
}

/** The inspect methods of a refresh, in the order a round runs them. */
export const INSPECT_METHODS: readonly string[] = METHODS.map(([method]) => method);

type Refresh = (connectionId: string, workername?: string) => Promise<InspectInfo>;

/** Single flight per (connection, worker); a worker's refresh joins its connection's running one. */
function coalesced(start: (connectionId: string, workername: string | undefined) => Promise<InspectInfo>) {
  const inFlight = new Map<string, Promise<InspectInfo>>();
  const join = (key: string, run: () => Promise<InspectInfo>): Promise<InspectInfo> => {
    const running = inFlight.get(key);
    if (running) return running;
    if (inFlight.size >= MAX_IN_FLIGHT) throw new UnavailableError('Too many worker refreshes in flight');
    const promise = run().finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  };
  const refresh: Refresh = (connectionId, workername) => {
    const allKey = `${connectionId}\u0000*`;
    if (!workername) return join(allKey, () => start(connectionId, undefined));
    const all = inFlight.get(allKey);
    if (all) return all.then((info) => only(info, workername));
    return join(`${connectionId}\u0000${workername}`, () => start(connectionId, workername));
  };
  return refresh;
}

export type Inspector = ReturnType<typeof createInspector>;

function only(info: InspectInfo, workername: string): InspectInfo {
  const entry = info.get(workername);
  return entry ? new Map([[workername, entry]]) : new Map();
}
