import { type ConcurrencyQuotas, callerOf } from '../auth/concurrency-quotas';
import type { Principal } from '../auth/principal';
import type { RateLimiter } from '../auth/rate-limit';
import type { FleetSlots } from '../peers/fleet-slots';

/** The gateway's quotas as the streams see them; absent in tests of the streams alone. */
export interface StreamQuotas {
  concurrency: ConcurrencyQuotas;
  rate: RateLimiter;
  /** Peers on: the per-key and per-connection stream limits also count the other replicas' streams. */
  fleet?: FleetSlots;
}

export type Admission =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly message: string; readonly retryAfterSeconds: number };

const ADMITTED: Admission = { ok: true, release: () => {} };

/**
 * `admitLocally`, then, with peers, the key's and the connection's streams on every live replica. All or nothing: a refusal
 * holds no slot here and counts nothing in the fleet.
 */
export async function admitStream(
  quotas: StreamQuotas | undefined,
  principal: Principal,
  connectionId: string,
  remoteAddress: string | undefined,
  catchUp: boolean,
): Promise<Admission & { releaseCatchUp?: () => void }> {
  const admission = admitLocally(quotas, principal, connectionId, remoteAddress, catchUp);
  const fleet = quotas?.fleet;
  if (!admission.ok || !fleet) return admission;
  const holder = { caller: callerOf(principal.keyId, remoteAddress), connectionId };
  const release = () => {
    admission.release();
    fleet.released('stream', holder);
  };
  const refusal = await fleet.admit('stream', holder);
  if (!refusal) return { ...admission, release };
  release();
  return refusal;
}

/**
 * A new stream costs one request of the key's rate, one stream slot, and a catch-up slot when its
 * resume point is older than the ring. All or nothing: a refusal holds no slot. `release` frees the
 * slots when the stream ends; `releaseCatchUp` frees the catch-up slot alone when the reader is done.
 */
function admitLocally(
  quotas: StreamQuotas | undefined,
  principal: Principal,
  connectionId: string,
  remoteAddress: string | undefined,
  catchUp: boolean,
): Admission & { releaseCatchUp?: () => void } {
  if (!quotas) return ADMITTED;
  const caller = callerOf(principal.keyId, remoteAddress);
  const rate = quotas.rate.take(caller);
  if (!rate.ok)
    return {
      ok: false,
      message: 'Too many requests for this API key; retry later',
      retryAfterSeconds: rate.retryAfterSeconds,
    };
  const holder = { caller, connectionId };
  const stream = quotas.concurrency.acquire('stream', holder);
  if (!stream.ok || !catchUp) return stream;
  const reader = quotas.concurrency.acquire('catch-up', holder);
  if (!reader.ok) {
    stream.release();
    return reader;
  }
  return {
    ok: true,
    release: () => {
      reader.release();
      stream.release();
    },
    releaseCatchUp: reader.release,
  };
}
