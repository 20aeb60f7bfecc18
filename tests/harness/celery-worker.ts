import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readStackEnv } from './stack-env';
import { waitFor } from './wait-for';

export interface CeleryWorker {
  readonly nodeName: string;
  readonly process: ChildProcess;
  /** Everything the worker printed so far (bounded to the last 200 kB). */
  output(): string;
  /** Warm shutdown (SIGTERM) and wait for exit. */
  stop(): Promise<void>;
  /** kill -9, as a crash. */
  kill(): Promise<void>;
}

/**
 * Starts a real Celery worker of tests/celery-app (demo_app) against `brokerUrl` and resolves once it
 * says it is ready.
 */
export async function startCeleryWorker(options: {
  brokerUrl: string;
  name?: string;
  concurrency?: number;
  queues?: string[];
  /** Send task events (-E). Default true. */
  events?: boolean;
  extraArgs?: string[];
  env?: Record<string, string>;
}): Promise<CeleryWorker> {
  const stack = readStackEnv();
  const nodeName = `${options.name ?? `w${randomBytes(3).toString('hex')}`}@celeriac-test`;
  const args = ['-m', 'celery', '-A', 'demo_app', 'worker', '-n', nodeName, '--pool=prefork', '-l', 'info'];
  args.push('-c', String(options.concurrency ?? 2));
  if (options.events ?? true) args.push('-E');
  if (options.queues) args.push('-Q', options.queues.join(','));
  args.push(...(options.extraArgs ?? []));
  const child = spawn(stack.python, args, {
    cwd: stack.celeryAppDir,
    env: { ...process.env, CELERY_BROKER_URL: options.brokerUrl, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so kill() takes the prefork children down with it, as a crash would.
    detached: true,
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waitExit = async (signal: NodeJS.Signals, wholeGroup = false) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (wholeGroup && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
    await exited;
  };
  try {
    await waitFor(
      `celery worker ${nodeName} to be ready`,
      () => {
        if (child.exitCode !== null)
          throw new Error(`worker exited with ${child.exitCode}: ${log.slice(-2000)}`);
        return log.includes(`${nodeName} ready.`);
      },
      { timeoutMs: 60_000 },
    );
  } catch (error) {
    await waitExit('SIGKILL', true);
    throw error;
  }
  return {
    nodeName,
    process: child,
    output: () => log,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL', true),
  };
}
