import { describe, expect, it } from 'vitest';
import { planStart } from './tail';

describe('planStart', () => {
  const marks = [
    { partition: 0, low: 0, high: 100 },
    { partition: 1, low: 50, high: 60 },
  ];

  it('starts before the end by the backfill, never before the low watermark', () => {
    expect(planStart(marks, { from: 'end', backfill: 20 }).map((p) => p.start)).toEqual([80, 50]);
    expect(planStart(marks, { from: 'end', backfill: 0 }).map((p) => p.start)).toEqual([100, 60]);
  });

  it('clamps given positions into the retained range; missing partitions start at the end', () => {
    const plan = planStart(marks, { from: 'positions', offsets: new Map([[0, 500]]) });
    expect(plan.map((p) => p.start)).toEqual([100, 60]);
    expect(planStart(marks, { from: 'positions', offsets: new Map([[1, 3]]) })[1]?.start).toBe(50);
  });
});
