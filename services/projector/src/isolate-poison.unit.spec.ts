import { describe, expect, it } from 'vitest';
import type { RawMessage } from './apply-batch';
import { applyIsolating } from './isolate-poison';

const messages: RawMessage[] = Array.from({ length: 10 }, (_, offset) => ({ offset, value: null }));
const refusedByDatabase = Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });

describe('applyIsolating', () => {
  it('given two records PostgreSQL refuses, then exactly those are skipped and all others applied in order', async () => {
    const poison = new Set([3, 7]);
    const applied: number[] = [];
    const skipped: number[] = [];
    await applyIsolating(
      async (batch, rejected) => {
        if (batch.some((m) => poison.has(m.offset) && !rejected.has(m.offset))) throw refusedByDatabase;
        applied.push(...batch.filter((m) => !rejected.has(m.offset)).map((m) => m.offset));
      },
      messages,
      (offset) => skipped.push(offset),
    );
    expect(skipped).toEqual([3, 7]);
    expect(applied).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
  });

  it('given a record over a PostgreSQL limit (index row too large, 54000), then it is isolated and skipped too', async () => {
    const tooLarge = Object.assign(new Error('index row size 61000 exceeds btree maximum'), {
      code: '54000',
    });
    const skipped: number[] = [];
    await applyIsolating(
      async (batch, rejected) => {
        if (batch.some((m) => m.offset === 5 && !rejected.has(m.offset))) throw tooLarge;
      },
      messages,
      (offset) => skipped.push(offset),
    );
    expect(skipped).toEqual([5]);
  });

  it('given an error that is not a data exception (connection lost), then it propagates for a whole retry', async () => {
    const lost = Object.assign(new Error('terminating connection'), { code: '57P01' });
    await expect(
      applyIsolating(
        async () => {
          throw lost;
        },
        messages,
        () => undefined,
      ),
    ).rejects.toBe(lost);
  });
});
