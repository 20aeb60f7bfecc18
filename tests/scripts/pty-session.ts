import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../harness/wait-for';

const RELAY = fileURLToPath(new URL('./pty_run.py', import.meta.url));

/** A command running on a pseudo-terminal of its own, driven like a user at a terminal window. */
export interface PtySession {
  /** The command's pid: its session id and the terminal's foreground process group. */
  readonly pid: number;
  /** Everything the terminal showed so far (output and echo). */
  output(): string;
  /** Types on the terminal: '\x03' is Ctrl-C. */
  type(text: string): void;
  /** Waits until the terminal showed a match of `pattern`; returns the match. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Waits until the command exited; returns its exit code (128+signal if a signal ended it). */
  waitForExit(timeoutMs: number): Promise<number>;
  /** Closes the terminal, as closing its window does: the command's session gets SIGHUP. */
  hangUp(): void;
  /** Ends the relay (and so the terminal) if the command is still there. */
  close(): void;
}

export async function startPtySession(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<PtySession> {
  const relay: ChildProcess = spawn('python3', [RELAY, ...argv], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let control = '';
  relay.stdout?.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8');
  });
  relay.stderr?.on('data', (chunk: Buffer) => {
    control += chunk.toString('utf8');
  });
  relay.stdin?.on('error', () => {}); // the relay may be gone when a last keystroke is sent
  const childMatch = await waitFor(
    'the pty relay to start the command',
    () => /PTY-CHILD (\d+)/.exec(control) ?? undefined,
    {
      timeoutMs: 10_000,
    },
  );
  const pid = Number(childMatch[1]);
  return {
    pid,
    output: () => screen,
    type: (text) => {
      relay.stdin?.write(text);
    },
    waitForOutput: async (pattern, timeoutMs) => {
      try {
        return await waitFor(`the terminal to show ${pattern}`, () => screen.match(pattern) ?? undefined, {
          timeoutMs,
          intervalMs: 200,
        });
      } catch (error) {
        throw new Error(`${(error as Error).message}; the terminal showed:\n${screen.slice(-4000)}`);
      }
    },
    waitForExit: async (timeoutMs) => {
      const exit = await waitFor(
        'the command on the terminal to exit',
        () => /PTY-EXIT (-?\d+)/.exec(control) ?? undefined,
        {
          timeoutMs,
          intervalMs: 200,
        },
      );
      return Number(exit[1]);
    },
    hangUp: () => {
      // The relay holds the only descriptor of the terminal's master side: the kernel hangs it up.
      relay.kill('SIGKILL');
    },
    close: () => {
      if (relay.exitCode === null) relay.kill('SIGKILL');
    },
  };
}
