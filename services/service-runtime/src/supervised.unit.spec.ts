import { describe, expect, it } from 'vitest';
import type { Component } from './lifecycle';
import { silentLogger } from './logger';
import { supervised } from './supervised';

/** A component whose start fails `failures` times, as one needing an unreachable dependency does. */
function flaky(failures: number) {
  const calls = { starts: 0, stops: 0 };
  let running = false;
  const component: Component = {
    name: 'flaky',
    get isRunning() {
      return running;
    },
    async start() {
      calls.starts += 1;
      if (calls.starts <= failures) throw new Error('dependency down');
      running = true;
    },
    async stop() {
      calls.stops += 1;
      running = false;
    },
  };
  return { component, calls, crash: () => (running = false) };
}

const fast = { logger: silentLogger, baseMs: 1, maxMs: 5 };

describe('supervised', () => {
  it('retries a failing start until it succeeds instead of failing', async () => {
    const { component, calls } = flaky(3);
    const wrapped = supervised(component, fast);
    await wrapped.start();
    expect(calls.starts).toBe(4);
    expect(wrapped.isRunning).toBe(true);
    await wrapped.stop();
    expect(wrapped.isRunning).toBe(false);
  });

  it('gives up retrying when stopped', async () => {
    const { component, calls } = flaky(Number.POSITIVE_INFINITY);
    const wrapped = supervised(component, { ...fast, baseMs: 20, maxMs: 20 });
    const starting = wrapped.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await wrapped.stop();
    await starting;
    const attempts = calls.starts;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls.starts).toBe(attempts);
    expect(wrapped.isRunning).toBe(false);
  });

  it('restarts a component that stopped working', async () => {
    const { component, calls, crash } = flaky(0);
    const wrapped = supervised(component, { ...fast, checkMs: 5 });
    await wrapped.start();
    crash();
    expect(wrapped.isRunning).toBe(false);
    for (let i = 0; i < 100 && calls.starts < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls.starts).toBe(2);
    expect(wrapped.isRunning).toBe(true);
    await wrapped.stop();
  });
});
