import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait-for';
import { describeProcesses, type NpmStartRun, startNpmStart } from './npm-start-run';

// Closing the terminal window instead of pressing Ctrl-C: the session gets SIGHUP and the terminal
// refuses every later write. The run must still stop everything it started, including the Celery
// worker, which lives in a session of its own and would never hear the hang-up.

let run: NpmStartRun;

beforeAll(async () => {
  run = await startNpmStart();
}, 240_000);

afterAll(() => run?.dispose(), 120_000);

describe('npm start when its terminal is closed', () => {
  it('stops every process it started', async () => {
    await run.session.waitForOutput(/Celeriac is running \(Ctrl-C to stop\)/, 240_000);
    const before = run.processes().map((p) => p.command);
    expect(before.filter((command) => /celery -A demo_app worker/.test(command)).length).toBeGreaterThan(1);
    expect(before.join('\n')).toMatch(/services\/gateway\/src\/main\.ts/);

    run.session.hangUp();
    await waitFor(
      'every process of the run to be gone',
      () => {
        const left = run.processes();
        if (left.length > 0) throw new Error(`still running:\n${describeProcesses(left)}`);
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }, 400_000);
});
