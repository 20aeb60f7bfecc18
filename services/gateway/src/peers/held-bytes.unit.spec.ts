import { describe, expect, it } from 'vitest';
import { createHeldBytes } from './held-bytes';

describe('bytes held by all served relays together', () => {
  it('refuses what would pass the limit and takes again once bytes are given back', () => {
    const held = createHeldBytes(1_000);
    expect(held.take(600)).toBe(true);
    expect(held.take(500)).toBe(false);
    expect(held.held).toBe(600);
    held.give(600);
    expect(held.take(1_000)).toBe(true);
    expect(held.take(1)).toBe(false);
  });

  it('never goes below zero when more is given back than was taken', () => {
    const held = createHeldBytes(100);
    held.give(50);
    expect(held.held).toBe(0);
    expect(held.take(100)).toBe(true);
  });
});
