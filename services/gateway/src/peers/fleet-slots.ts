import type { Logger } from '@celeriac/service-runtime/logger';
import {
  type Acquired,
  type ConcurrencyQuotas,
  QUOTA_NOUNS,
  type QuotaKind,
} from '../auth/concurrency-quotas';
import type {
  FleetHolder,
  FleetKind,
  FleetScope,
  FleetSlotsStore,
  HeldHere,
} from '../data/fleet-slots-store';

/** A refusal by a fleet-wide limit, worded like the replica's own (429 + Retry-After, WS 1013). */
export type FleetRefusal = Extract<Acquired, { ok: false }>;

/** The per-key and per-connection limits of streams and result waits, counted over every live replica. */
export interface FleetSlots {
  /** Whether `kind` is counted across the fleet (the others stay per replica). */
  counts(kind: QuotaKind): kind is FleetKind;
  /** Once this replica's slot is taken: null when the fleet has room for it too. */
  admit(kind: FleetKind, holder: FleetHolder): Promise<FleetRefusal | null>;
  /** Once this replica's slot is freed: tells the fleet the new counts here. */
  released(kind: FleetKind, holder: FleetHolder): void;
}

const SCOPE_NAMES: Record<FleetScope, string> = { key: 'API key', connection: 'connection' };

/**
 * Each replica publishes what it holds per key and per connection (data/fleet-slots-store.ts). The
 * writes touching one key or one connection are chained so they reach the database in order (each
 * writes the counts current when it runs, so the last one is right). When the database cannot answer,
 * the slot is admitted on this replica's own limits: quotas keep working without PostgreSQL.
 */
export function createFleetSlots(deps: {
  store: FleetSlotsStore;
  limits: Readonly<Record<FleetKind, HeldHere>>;
  local: ConcurrencyQuotas['held'];
  logger: Logger;
  /** Told of each refusal (the refusals metric). */
  onRefused?: (kind: FleetKind, scope: FleetScope) => void;
}): FleetSlots {
  const logger = deps.logger.child({ component: 'fleet-slots' });
  // One entry per key or connection with a write in flight: bounded by what opens or closes now.
  const chains = new Map<string, Promise<unknown>>();
  const chained = <T>(kind: FleetKind, holder: FleetHolder, task: () => Promise<T>): Promise<T> => {
    const links = [`${kind}\u0000k\u0000${holder.caller}`, `${kind}\u0000c\u0000${holder.connectionId}`];
    const before = links.map((link) => (chains.get(link) ?? Promise.resolve()).catch(() => {}));
    const next = Promise.all(before).then(task);
    for (const link of links) chains.set(link, next);
    const forget = () => {
      for (const link of links) if (chains.get(link) === next) chains.delete(link);
    };
    next.then(forget, forget);
    return next;
  };
  const here = (kind: FleetKind, holder: FleetHolder): HeldHere => ({
    key: deps.local(kind, holder.caller, 'key'),
    connection: deps.local(kind, holder.connectionId, 'connection'),
  });
  return {
    counts: (kind): kind is FleetKind => Object.hasOwn(deps.limits, kind),
    async admit(kind, holder) {
      let scope: FleetScope | null;
      try {
        const limits = deps.limits[kind];
        scope = await chained(kind, holder, () =>
          deps.store.admit(kind, holder, () => here(kind, holder), limits),
        );
      } catch (error) {
        logger.warn({ err: error, kind }, 'could not count across replicas; admitted on this replica alone');
        return null;
      }
      if (!scope) return null;
      deps.onRefused?.(kind, scope);
      const limit = deps.limits[kind][scope];
      return {
        ok: false,
        message: `Too many ${QUOTA_NOUNS[kind]} for this ${SCOPE_NAMES[scope]} across the gateway replicas (limit ${limit}); retry later`,
        retryAfterSeconds: 1,
      };
    },
    released(kind, holder) {
      chained(kind, holder, () => deps.store.record(kind, holder, here(kind, holder))).catch((error) =>
        logger.warn({ err: error, kind }, 'could not record a released slot across replicas'),
      );
    },
  };
}

/**
 * This replica's slot, then (peers on, kinds counted across the fleet) the fleet's. All or nothing: a
 * refusal holds no slot here and counts nothing in the fleet.
 */
export async function acquireAcrossFleet(
  quotas: ConcurrencyQuotas,
  fleet: FleetSlots | undefined,
  kind: QuotaKind,
  holder: FleetHolder,
): Promise<Acquired> {
  const slot = quotas.acquire(kind, holder);
  if (!slot.ok || !fleet?.counts(kind)) return slot;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    slot.release();
    fleet.released(kind, holder);
  };
  const refusal = await fleet.admit(kind, holder);
  if (!refusal) return { ok: true, release };
  release();
  return refusal;
}
