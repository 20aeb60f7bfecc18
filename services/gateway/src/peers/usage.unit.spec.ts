import { UsageReport } from '@celeriac/proto/peers';
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../auth/rate-limit';
import { createUsageLedger, MAX_REPORT_BYTES } from './usage-ledger';
import { MAX_REPORT_CALLERS, usageReportProblem } from './usage-service';

const limiter = (clock: { now: number }, taken?: string[]) =>
  createRateLimiter({
    ratePerSecond: 10,
    burst: 5,
    maxBuckets: 100,
    now: () => clock.now,
    onTaken: (caller) => taken?.push(caller),
  });

describe('fleet-wide request rate: debiting what other replicas admitted', () => {
  it('refuses a key here once other replicas spent its burst, and lets it through as the bucket refills', () => {
    const clock = { now: 0 };
    const rate = limiter(clock);
    rate.debit('k', 5);
    expect(rate.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Another key keeps its own bucket.
    expect(rate.take('other').ok).toBe(true);
    clock.now = 100; // one token at 10/s
    expect(rate.take('k').ok).toBe(true);
    expect(rate.take('k').ok).toBe(false);
  });

  it('lets a bucket go below zero down to -burst, so a flood of reports shuts a key out for two bursts at most', () => {
    const clock = { now: 0 };
    const rate = limiter(clock);
    rate.debit('k', 1_000);
    const refused = rate.take('k');
    // From -5 to 1 token at 10/s: 0.6 s, rounded up.
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 1 });
    clock.now = 500;
    expect(rate.take('k').ok).toBe(false);
    clock.now = 600;
    expect(rate.take('k').ok).toBe(true);
  });

  it('reports only requests admitted here, not refusals nor debits', () => {
    const clock = { now: 0 };
    const taken: string[] = [];
    const rate = limiter(clock, taken);
    for (let i = 0; i < 7; i += 1) rate.take('k');
    rate.debit('k', 3);
    expect(taken).toEqual(['k', 'k', 'k', 'k', 'k']);
  });
});

describe('usage ledger', () => {
  it('reports the busiest callers first, at most the limit, and starts empty after each report', () => {
    const ledger = createUsageLedger({ maxBytes: 1_000_000 });
    for (const [caller, times] of [
      ['a', 1],
      ['b', 5],
      ['c', 3],
    ] as const)
      for (let i = 0; i < times; i += 1) ledger.record(caller);
    expect(ledger.drain(2)).toEqual([
      { caller: 'b', tokens: 5 },
      { caller: 'c', tokens: 3 },
    ]);
    expect(ledger.drain(2)).toEqual([]);
    expect(ledger.bytes).toBe(0);
  });

  it('stays within its byte budget: new callers past it are not counted, known ones still are', () => {
    let full = 0;
    const ledger = createUsageLedger({ maxBytes: 400, onFull: () => (full += 1) });
    for (let i = 0; i < 100; i += 1) ledger.record(`key-${i}`);
    ledger.record('key-0');
    expect(ledger.bytes).toBeLessThanOrEqual(400);
    const report = ledger.drain(1_000);
    expect(report.length).toBeLessThan(10);
    expect(report[0]).toEqual({ caller: 'key-0', tokens: 2 });
    expect(full).toBe(100 - report.length);
  });

  it('keeps a report of long callers within the bytes the peer server accepts', () => {
    const ledger = createUsageLedger({ maxBytes: 10_000_000 });
    for (let i = 0; i < 1_000; i += 1) ledger.record(`${'é'.repeat(60)}-${i}`);
    const report = ledger.drain(1_000);
    expect(report.length).toBeGreaterThan(100);
    expect(report.length).toBeLessThan(1_000);
    expect(UsageReport.encode({ callers: report }).finish().byteLength).toBeLessThanOrEqual(MAX_REPORT_BYTES);
  });
});

describe('usage report validation', () => {
  it('accepts a well-formed report and names what is wrong with a bad one', () => {
    expect(usageReportProblem({ callers: [{ caller: 'k', tokens: 3 }] })).toBeNull();
    expect(usageReportProblem({ callers: [{ caller: '', tokens: 3 }] })).toMatch(/caller must be/);
    expect(usageReportProblem({ callers: [{ caller: 'x'.repeat(129), tokens: 3 }] })).toMatch(/caller/);
    expect(usageReportProblem({ callers: [{ caller: 'k', tokens: 0 }] })).toMatch(/tokens/);
    const many = Array.from({ length: MAX_REPORT_CALLERS + 1 }, (_, i) => ({ caller: `k${i}`, tokens: 1 }));
    expect(usageReportProblem({ callers: many })).toMatch(/at most 1000 callers/);
  });
});
