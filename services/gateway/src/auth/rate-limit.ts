export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface RateLimitOptions {
  /** Tokens added per second; 0 turns the limit off. */
  ratePerSecond: number;
  /** Bucket size: requests a caller may make at once after being idle. */
  burst: number;
  /** Buckets kept at most; the least recently used one goes when a new caller needs room. */
  maxBuckets: number;
  now: () => number;
  /** Told of each refusal (a metric). */
  onRefused?: () => void;
  /** Told of each request admitted (peers on: the usage reported to the other replicas). */
  onTaken?: (caller: string) => void;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per caller (API key id, or client address without a key). Memory is bounded by
 * `maxBuckets`: buckets live in a Map in least-recently-used order and the oldest is evicted for a
 * newcomer. An evicted bucket is almost always idle and full again, so dropping it forgets nothing;
 * only with more than `maxBuckets` callers active at the same moment does one get a fresh bucket.
 */
export function createRateLimiter(options: RateLimitOptions) {
  const buckets = new Map<string, Bucket>();
  /** The caller's bucket, refilled up to now and moved to the most recently used end. */
  const refilled = (caller: string): Bucket => {
    const now = options.now();
    const bucket = buckets.get(caller) ?? { tokens: options.burst, at: now };
    buckets.delete(caller);
    const added = ((now - bucket.at) / 1000) * options.ratePerSecond;
    bucket.tokens = Math.min(options.burst, bucket.tokens + Math.max(0, added));
    bucket.at = now;
    if (buckets.size >= options.maxBuckets) buckets.delete(buckets.keys().next().value as string);
    buckets.set(caller, bucket);
    return bucket;
  };
  return {
    take(caller: string): RateDecision {
      if (options.ratePerSecond <= 0) return { ok: true };
      const bucket = refilled(caller);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        options.onTaken?.(caller);
        return { ok: true };
      }
      // A refused request costs nothing: the caller may come back as soon as one token is there.
      options.onRefused?.();
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / options.ratePerSecond)),
      };
    },
    /**
     * Removes `tokens` the caller spent on other replicas (peers' usage reports), so the fleet admits
     * about `ratePerSecond` for the key wherever its requests land. The bucket may go below zero, down
     * to `-burst`: a key that overspent waits here too, but a flood of reports cannot shut it out for
     * longer than two bursts' worth of refill.
     */
    debit(caller: string, tokens: number): void {
      if (options.ratePerSecond <= 0 || !(tokens > 0)) return;
      const bucket = refilled(caller);
      bucket.tokens = Math.max(-options.burst, bucket.tokens - tokens);
    },
    get size(): number {
      return buckets.size;
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
