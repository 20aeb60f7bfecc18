import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  it('grows exponentially up to the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(0, { baseMs: 100, maxMs: 5000 }, top)).toBe(99);
    expect(backoffDelayMs(3, { baseMs: 100, maxMs: 5000 }, top)).toBe(799);
    expect(backoffDelayMs(50, { baseMs: 100, maxMs: 5000 }, top)).toBe(4999);
  });

  it('jitters between zero and the ceiling', () => {
    expect(backoffDelayMs(4, { baseMs: 100 }, () => 0)).toBe(0);
    expect(backoffDelayMs(4, { baseMs: 100 }, () => 0.5)).toBe(800);
  });
});
