import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../testing/guarded-process.ts', import.meta.url));

/** Runs the fixture as a real process; resolves with its exit code and everything it printed. */
function runFixture(
  fault: string,
  signal?: NodeJS.Signals,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, fault], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let signalled = false;
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      if (signal && !signalled && output.includes('intake started')) {
        signalled = true;
        child.kill(signal);
      }
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('runUntilSignal process guards', () => {
  it('logs an uncaught exception, stops the components in order, and exits 1', async () => {
    const { code, output } = await runFixture('throw');
    expect(code).toBe(1);
    expect(output).toContain('"msg":"uncaught exception"');
    expect(output).toContain('escaped a callback');
    expect(output).toContain('intake stopped');
  });

  it('treats an unhandled rejection the same way', async () => {
    const { code, output } = await runFixture('reject');
    expect(code).toBe(1);
    expect(output).toContain('"msg":"unhandled rejection"');
    expect(output).toContain('intake stopped');
  });

  it('exits 0 after an ordered shutdown on SIGTERM', async () => {
    const { code, output } = await runFixture('none', 'SIGTERM');
    expect(code).toBe(0);
    expect(output).toContain('intake stopped');
  });
});
