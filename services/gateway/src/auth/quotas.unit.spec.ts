import { describe, expect, it } from 'vitest';
import { createConcurrencyQuotas, type QuotaLimits } from './concurrency-quotas';
import { createRateLimiter } from './rate-limit';

const limits: QuotaLimits = {
  stream: { perKey: 2, perConnection: 3 },
  'result-wait': { perKey: 1, perConnection: 1 },
  refresh: { perKey: 1, perConnection: 1 },
  'catch-up': { perKey: 1, perConnection: 1 },
};

describe('concurrency quotas', () => {
  it('refuses the key past its limit, not another key, until a slot is released', () => {
    const quotas = createConcurrencyQuotas(limits);
    const a1 = quotas.acquire('stream', { caller: 'a', connectionId: 'c' });
    const a2 = quotas.acquire('stream', { caller: 'a', connectionId: 'c' });
    const a3 = quotas.acquire('stream', { caller: 'a', connectionId: 'c' });
    expect([a1.ok, a2.ok, a3.ok]).toEqual([true, true, false]);
    if (!a3.ok) expect(a3.message).toMatch(/API key \(limit 2\)/);
    expect(quotas.acquire('stream', { caller: 'b', connectionId: 'c' }).ok).toBe(true);
    // The connection (3) is now full for everyone.
    const b2 = quotas.acquire('stream', { caller: 'b', connectionId: 'c' });
    expect(b2.ok).toBe(false);
    if (!b2.ok) expect(b2.message).toMatch(/connection \(limit 3\)/);
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(quotas.acquire('stream', { caller: 'a', connectionId: 'c' }).ok).toBe(true);
    expect(quotas.acquire('stream', { caller: 'a', connectionId: 'c' }).ok).toBe(false);
  });

  it('forgets callers whose slots are all released', () => {
    const quotas = createConcurrencyQuotas(limits);
    for (let i = 0; i < 1_000; i += 1) {
      const slot = quotas.acquire('refresh', { caller: `k${i}`, connectionId: `c${i}` });
      if (slot.ok) slot.release();
    }
    expect(quotas.size).toBe(0);
  });
});

describe('rate limiter', () => {
  it('lets a burst through, refuses the next with a retry hint, and refills over time', () => {
    let now = 0;
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 3, maxBuckets: 10, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').ok).toBe(true);
    now = 500;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
  });

  it('keeps at most maxBuckets buckets, dropping the least recently used', () => {
    let now = 0;
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1, maxBuckets: 100, now: () => now });
    for (let i = 0; i < 10_000; i += 1) limiter.take(`key-${i}`);
    expect(limiter.size).toBe(100);
    // The most recent callers are still limited.
    now += 10;
    expect(limiter.take('key-9999').ok).toBe(false);
  });

  it('is off at rate 0', () => {
    const limiter = createRateLimiter({ ratePerSecond: 0, burst: 1, maxBuckets: 1, now: () => 0 });
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.size).toBe(0);
  });
});
