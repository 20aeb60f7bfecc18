import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { listProcesses, readProcess } from './proc-table';
import { type PtySession, startPtySession } from './pty-session';

// infra/local/lib.sh runs apt-get, pip, mvn and rabbitmqctl through `bounded`. Run from a terminal
// (`npm start` on a fresh machine), a child that touches the terminal must finish, not sit stopped
// by SIGTTOU/SIGTTIN in a background process group until its time limit: the hang this guards
// against. Each case runs the wrapper under a real pseudo-terminal and watches /proc for state T.

const LIB = join(REPO_ROOT, 'infra/local/lib.sh');
let session: PtySession | undefined;

let daemonPid: number | undefined;

afterEach(() => {
  session?.close();
  if (daemonPid && readProcess(daemonPid)) process.kill(daemonPid, 'SIGKILL');
  daemonPid = undefined;
});

const shellQuote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/** Runs `<wrapper> 30 sh -c <command>` from lib.sh in a shell on a fresh terminal, then `after`. */
async function runWrapped(wrapper: string, command: string, after = ''): Promise<PtySession> {
  const script = `source ${shellQuote(LIB)}; ${wrapper} 30 sh -c ${shellQuote(command)}; echo "WRAPPED-EXIT:$?"; ${after}`;
  session = await startPtySession(['bash', '-c', script], { cwd: REPO_ROOT, env: process.env });
  return session;
}
const runBounded = (command: string) => runWrapped('bounded', command);

/** True once `pattern` showed; while not, names any process of the terminal's session stopped by it. */
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
    await run.waitForOutput(/WRAPPED-EXIT:0/, 5_000);
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

// rabbitmq-server -detached and pg_ctlcluster start run through `bounded_detached`: the launcher may
// touch the terminal and must not be stopped for it, and the server it leaves behind must not be in
// the terminal's foreground group, or the Ctrl-C that ends `npm start` would take the shared
// PostgreSQL or RabbitMQ down with it (PostgreSQL reads SIGINT as "fast shutdown").
describe('lib.sh bounded_detached, run from an interactive terminal', () => {
  it('starts a server that is neither stopped by the terminal nor ended by its Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'celeriac-detached-'));
    const pidFile = join(dir, 'server.pid');
    const server = [
      'import os, signal, sys, time',
      'if os.fork(): sys.exit(0)',
      'signal.signal(signal.SIGINT, signal.SIG_DFL)',
      'open(sys.argv[1], "w").write(str(os.getpid()))',
      'time.sleep(300)',
    ].join('\n');
    try {
      // Like a launcher that sets up the terminal first, then leaves a server behind.
      const launcher = `stty -echo </dev/tty 2>/dev/null; python3 -c ${shellQuote(server)} ${shellQuote(pidFile)}`;
      const run = await runWrapped('bounded_detached', launcher, 'read -r _');
      await expect(
        waitFor('the launcher to finish', finishedWithoutStopping(run, /WRAPPED-EXIT:0/), {
          timeoutMs: 15_000,
        }),
      ).resolves.toBe(true);
      daemonPid = Number(readFileSync(pidFile, 'utf8'));
      expect(readProcess(daemonPid)?.sid).not.toBe(run.pid);
      run.type('\x03');
      await run.waitForExit(10_000);
      expect(readProcess(daemonPid)?.command).toContain('python3 -c');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
