import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { describeProcesses, type NpmStartRun, startNpmStart } from './npm-start-run';
import { readProcess } from './proc-table';

// `npm start` as a user runs it: on a terminal, with Ctrl-C typed on that terminal, beside whatever
// `npm start` a developer already runs (its own work dir, database, vhost, topics and ports).

const STARTUP_MS = 240_000;
let run: NpmStartRun;

async function gatewayReady(): Promise<boolean> {
  const response = await fetch(`${run.gatewayUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
  return response.status === 200;
}

beforeAll(async () => {
  run = await startNpmStart();
}, STARTUP_MS);

afterAll(() => run?.dispose(), 120_000);

describe('npm start on an interactive terminal', () => {
  it(
    'prints the URLs and serves a ready gateway',
    async () => {
      await run.session.waitForOutput(/Celeriac is running \(Ctrl-C to stop\)/, STARTUP_MS);
      expect(run.session.output()).toContain(`gateway      ${run.gatewayUrl}`);
      await waitFor('the gateway to answer /readyz with 200', gatewayReady, {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
    },
    STARTUP_MS + 120_000,
  );

  it('restarts the gateway after it is killed with -9, and says so', async () => {
    const first = run.recordedPid('gateway');
    expect(readProcess(first)?.command).toContain('services/gateway/src/main.ts');
    process.kill(first, 'SIGKILL');
    await run.session.waitForOutput(new RegExp(`gateway \\(pid ${first}\\) was killed by SIGKILL`), 15_000);
    const restarted = await run.session.waitForOutput(/restarted gateway \(pid (\d+)/, 30_000);
    const second = Number(restarted[1]);
    expect(second).not.toBe(first);
    expect(run.recordedPid('gateway')).toBe(second);
    await waitFor('the restarted gateway to answer /readyz with 200', gatewayReady, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(readProcess(second)?.command).toContain('services/gateway/src/main.ts');
  }, 180_000);

  it('stops every process it started on Ctrl-C (even pressed twice), and leaves the servers up', async () => {
    const before = run.processes();
    // The run's own pieces are all there before the keystroke, so "none after" means something.
    const commands = before.map((p) => p.command).join('\n');
    expect(commands).toMatch(/services\/gateway\/src\/main\.ts/);
    expect(commands).toMatch(/services\/collector\/src\/main\.ts/);
    expect(commands).toMatch(/send_traffic\.py/);
    // The worker and its prefork pool children.
    expect(before.filter((p) => /celery -A demo_app worker/.test(p.command)).length).toBeGreaterThan(1);

    run.session.type('\x03');
    // An impatient second Ctrl-C while it cleans up must not cut the cleanup short.
    await run.session.waitForOutput(/stopping traffic, demo workers and services/, 30_000);
    run.session.type('\x03');
    await run.session.waitForExit(90_000);
    await waitFor(
      'every process of the run to be gone',
      () => {
        const left = run.processes();
        if (left.length > 0) throw new Error(`still running:\n${describeProcesses(left)}`);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(run.session.output()).toMatch(/stopped\. Servers are still running/);
    const client = new pg.Client({ connectionString: readStackEnv().databaseUrl });
    await client.connect();
    try {
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await client.end();
    }
  }, 180_000);
});
