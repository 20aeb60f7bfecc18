import { describe, expect, it } from 'vitest';
import { csrfTokenFor, newSessionValue, sameToken, sessionCookie } from './sessions';
import { createSignInLimiter } from './sign-in-limiter';

describe('session cookie', () => {
  it('is read from among other cookies, and only in its own shape', () => {
    const value = newSessionValue();
    expect(sessionCookie(`theme=dark; celeriac_session=${value}; other=1`)).toBe(value);
    expect(sessionCookie('celeriac_session=short')).toBeNull();
    expect(sessionCookie(`xceleriac_session=${value}`)).toBeNull();
    expect(sessionCookie(`a=${'x'.repeat(9_000)}; celeriac_session=${value}`)).toBeNull();
    expect(sessionCookie(undefined)).toBeNull();
  });

  it('has a CSRF token of its own that another session does not share', () => {
    const [a, b] = [newSessionValue(), newSessionValue()];
    expect(sameToken(csrfTokenFor(a), csrfTokenFor(a))).toBe(true);
    expect(sameToken(csrfTokenFor(a), csrfTokenFor(b))).toBe(false);
    expect(sameToken(csrfTokenFor(a), undefined)).toBe(false);
    expect(csrfTokenFor(a)).not.toContain(a);
  });
});

describe('sign-in limiter', () => {
  it('refuses an address after its failures until the window ends, and forgets past its budget', () => {
    let now = 0;
    const limiter = createSignInLimiter({
      maxFailures: 2,
      windowMs: 10_000,
      maxAddresses: 2,
      now: () => now,
    });
    limiter.failed('a');
    expect(limiter.retryAfterSeconds('a')).toBeNull();
    limiter.failed('a');
    expect(limiter.retryAfterSeconds('a')).toBe(10);
    now = 4_000;
    expect(limiter.retryAfterSeconds('a')).toBe(6);
    expect(limiter.retryAfterSeconds('b')).toBeNull();
    now = 10_000;
    expect(limiter.retryAfterSeconds('a')).toBeNull();
    for (const address of ['x', 'y', 'z']) limiter.failed(address);
    expect(limiter.size).toBe(2);
  });
});
