/** What a caller holds open while it waits; each kind has its own limits. */
export type QuotaKind = 'stream' | 'result-wait' | 'refresh' | 'catch-up';

export interface QuotaLimit {
  /** At once per API key (per client address when auth is disabled). */
  perKey: number;
  /** At once per connection, whichever keys hold them. */
  perConnection: number;
}

export type QuotaLimits = Readonly<Record<QuotaKind, QuotaLimit>>;

/** The identity quotas count against: the key, or the client's address when auth is disabled. */
export function callerOf(keyId: string | null, remoteAddress: string | undefined): string {
  return keyId ?? `address:${remoteAddress ?? 'unknown'}`;
}

/** Who holds a slot: `caller` is the key id, or the client address when there is no key. */
export interface QuotaHolder {
  readonly caller: string;
  readonly connectionId: string;
}

export type Acquired =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly message: string; readonly retryAfterSeconds: number };

/** What a refusal calls each kind (the fleet-wide limits word theirs the same way). */
export const QUOTA_NOUNS: Record<QuotaKind, string> = {
  stream: 'open streams',
  'result-wait': 'result waits',
  refresh: 'worker refreshes',
  'catch-up': 'stream catch-ups',
};

/** Slots free up when the holder's request ends, so a short retry hint is honest. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Per-key and per-connection caps on things a caller holds open. The maps hold only counts of slots
 * in use (an entry is deleted when it drops to zero), so their size is bounded by what is open now.
 */
export function createConcurrencyQuotas(
  limits: QuotaLimits,
  /** Told of each refusal (a metric); labels carry no tenant data. */
  onRefused: (kind: QuotaKind, scope: 'key' | 'connection') => void = () => {},
) {
  const held = new Map<string, number>();
  // Per kind: four entries at most.
  const open = new Map<QuotaKind, number>();
  const count = (slot: string) => held.get(slot) ?? 0;
  const move = (slot: string, delta: number) => {
    const next = count(slot) + delta;
    if (next > 0) held.set(slot, next);
    else held.delete(slot);
  };

  return {
    acquire(kind: QuotaKind, holder: QuotaHolder): Acquired {
      const limit = limits[kind];
      const bySlot = `${kind}\u0000k\u0000${holder.caller}`;
      const connectionSlot = `${kind}\u0000c\u0000${holder.connectionId}`;
      if (count(bySlot) >= limit.perKey) {
        onRefused(kind, 'key');
        return refusal(`Too many ${QUOTA_NOUNS[kind]} for this API key (limit ${limit.perKey}); retry later`);
      }
      if (count(connectionSlot) >= limit.perConnection) {
        onRefused(kind, 'connection');
        return refusal(
          `Too many ${QUOTA_NOUNS[kind]} for this connection (limit ${limit.perConnection}); retry later`,
        );
      }
      move(bySlot, 1);
      move(connectionSlot, 1);
      open.set(kind, (open.get(kind) ?? 0) + 1);
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          move(bySlot, -1);
          move(connectionSlot, -1);
          open.set(kind, (open.get(kind) ?? 1) - 1);
        },
      };
    },
    /**
     * Slots of `kind` a caller (scope `key`) or a connection holds on this replica (the fleet-wide
     * limits add the other replicas').
     */
    held(kind: QuotaKind, holder: string, scope: 'key' | 'connection' = 'key'): number {
      return count(`${kind}\u0000${scope === 'key' ? 'k' : 'c'}\u0000${holder}`);
    },
    /** Slots of `kind` held on this replica by everyone (a gauge). */
    open(kind: QuotaKind): number {
      return open.get(kind) ?? 0;
    },
    /** Slots in use, for tests and metrics. */
    get size(): number {
      return held.size;
    },
  };
}

function refusal(message: string): Acquired {
  return { ok: false, message, retryAfterSeconds: RETRY_AFTER_SECONDS };
}

export type ConcurrencyQuotas = ReturnType<typeof createConcurrencyQuotas>;
