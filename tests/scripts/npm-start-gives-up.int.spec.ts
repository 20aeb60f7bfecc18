import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait-for';
import { describeProcesses, type NpmStartRun, startNpmStart } from './npm-start-run';

// A service that cannot stay up (here: a gateway setting it refuses) must not flap for ever behind
// a demo that looks alive: after CELERIAC_RUN_MAX_RESTARTS exits in a row the run says which service
// and stops, taking down everything it started.

let run: NpmStartRun;

beforeAll(async () => {
  run = await startNpmStart({ CELERIAC_GATEWAY_MAX_PAGE_SIZE: '0', CELERIAC_RUN_MAX_RESTARTS: '2' });
}, 240_000);

afterAll(() => run?.dispose(), 120_000);

describe('npm start with a service that keeps exiting', () => {
  it('restarts it with a growing delay, then stops the run with a message naming it', async () => {
    await run.session.waitForOutput(/restarting gateway in 1s/, 240_000);
    await run.session.waitForOutput(/restarting gateway in 2s/, 60_000);
    await run.session.waitForOutput(
      /gateway exited 3 times in a row, each within 60s of its start \(2 restarts did not help\); stopping the run/,
      60_000,
    );
    const status = await run.session.waitForExit(90_000);
    expect(status).not.toBe(0);
    await waitFor(
      'every process of the run to be gone',
      () => {
        const left = run.processes();
        if (left.length > 0) throw new Error(`still running:\n${describeProcesses(left)}`);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // What the gateway itself said is on the terminal, so the user need not open the log to see why.
    expect(run.session.output()).toContain('CELERIAC_GATEWAY_MAX_PAGE_SIZE');
  }, 400_000);
});
