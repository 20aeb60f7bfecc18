import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { listProcesses } from './proc-table';
import { type PtySession, startPtySession } from './pty-session';

// infra/local/lib.sh runs apt-get, pip, mvn and rabbitmqctl through `bounded`. Run from a terminal
// (`npm start` on a fresh machine), a child that touches the terminal must finish, not sit stopped
// by SIGTTOU/SIGTTIN in a background process group until its time limit: the hang this guards
// against. Each case runs the wrapper under a real pseudo-terminal and watches /proc for state T.

const LIB = join(REPO_ROOT, 'infra/local/lib.sh');
let session: PtySession | undefined;

afterEach(() => session?.close());

const shellQuote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/** Runs `bounded 30 sh -c <command>` from lib.sh in a shell on a fresh terminal. */
async function runBounded(command: string): Promise<PtySession> {
  const script = `source ${shellQuote(LIB)}; bounded 30 sh -c ${shellQuote(command)}; echo "BOUNDED-EXIT:$?"`;
  session = await startPtySession(['bash', '-c', script], { cwd: REPO_ROOT, env: process.env });
  return session;
}

/** Fails at once if any process on the session's terminal is stopped; true once `pattern` showed. */
function finishedWithoutStopping(run: PtySession, pattern: RegExp): () => boolean {
  return () => {
    const stopped = listProcesses().filter((info) => info.sid === run.pid && info.state === 'T');
    if (stopped.length > 0) {
      throw new Error(`stopped by the terminal: ${stopped.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
    }
    return pattern.test(run.output());
  };
}

describe('lib.sh bounded, run from an interactive terminal', () => {
  it('lets a child change the terminal modes, as apt-get does with stdin in raw mode', async () => {
    const run = await runBounded('stty -echo </dev/tty && stty echo </dev/tty && echo MODES-SET');
    await expect(
      waitFor('stty to set the terminal modes', finishedWithoutStopping(run, /MODES-SET/), {
        timeoutMs: 15_000,
      }),
    ).resolves.toBe(true);
    await run.waitForOutput(/BOUNDED-EXIT:0/, 5_000);
  });

  it('lets a child read an answer typed on the terminal, as a password prompt does', async () => {
    const run = await runBounded('read -r answer </dev/tty && echo "GOT:$answer"');
    // Typed only once the prompt is waiting: a line typed earlier would sit in the buffer either way.
    await waitFor('the child to wait on the terminal', () =>
      listProcesses().some((info) => info.sid === run.pid && /^sh -c read/.test(info.command)),
    );
    run.type('yes\r');
    await expect(
      waitFor('the child to read the answer', finishedWithoutStopping(run, /GOT:yes/), { timeoutMs: 15_000 }),
    ).resolves.toBe(true);
  });

  it('gives the child no terminal on stdin, so nothing it runs can sit waiting on a prompt', async () => {
    const run = await runBounded('if [ -t 0 ]; then echo STDIN-IS-TTY; else echo STDIN-NOT-TTY; fi');
    await run.waitForOutput(/STDIN-(NOT-)?TTY/, 15_000);
    expect(run.output()).toContain('STDIN-NOT-TTY');
  });
});
