import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './stack-env';
import { waitFor } from './wait-for';

export interface ServiceProcess {
  readonly name: string;
  /** Its /readyz (which answered 200 when start resolved, unless started with `listening`); /healthz sits beside it. */
  readonly readyUrl: string;
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** kill -9, as a crash. */
  kill(): Promise<void>;
}

/** How to run a service: the executable, its arguments, the working directory. */
export interface Launch {
  command: string;
  args: string[];
  cwd: string;
}

/** The heap cap of the service's `npm start` (k8s/ and `npm start` of the repo use the same). */
export function heapFlags(name: string): string[] {
  const manifest = JSON.parse(readFileSync(`${REPO_ROOT}services/${name}/package.json`, 'utf8')) as {
    scripts?: { start?: string };
  };
  return manifest.scripts?.start?.match(/--max-old-space-size=\d+/g) ?? [];
}

/**
 * The Control token of every service this test process starts: collectors require it on each gRPC
 * call and gateways send it, as the same Secret does in a deployment.
 */
export const TEST_CONTROL_TOKEN =
  process.env.CELERIAC_CONTROL_TOKEN ?? `test-${randomBytes(16).toString('hex')}`;

/**
 * Runs one Celeriac service with the given environment, by default as `npm start` does (`node
 * --max-old-space-size=N --import tsx services/<name>/src/main.ts`; the image runs the compiled code,
 * see infra/image/), and resolves when `readyUrl` answers 200.
 */
export async function startService(options: {
  name: 'collector' | 'projector' | 'gateway';
  env: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
  /** Another way to run it, e.g. the image's compiled entrypoint; the tsx path above by default. */
  launch?: Launch;
  /**
   * `ready` (default): resolve when `readyUrl` answers 200. `listening`: as soon as it answers at all,
   * for a service started while a dependency is down (it answers 503 and must stay up).
   */
  waitUntil?: 'ready' | 'listening';
}): Promise<ServiceProcess> {
  const launch: Launch = options.launch ?? {
    command: process.execPath,
    args: [...heapFlags(options.name), '--import', 'tsx', `services/${options.name}/src/main.ts`],
    cwd: REPO_ROOT,
  };
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: {
      ...process.env,
      CELERIAC_LOG_LEVEL: 'warn',
      CELERIAC_CONTROL_TOKEN: TEST_CONTROL_TOKEN,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  try {
    await waitFor(
      `${options.name} to be ready at ${options.readyUrl}`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${options.name} exited with ${child.exitCode}: ${log.slice(-3000)}`);
        const response = await fetch(options.readyUrl).catch(() => undefined);
        return options.waitUntil === 'listening' ? response !== undefined : (response?.ok ?? false);
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await signal('SIGKILL');
    // A service that never got ready says why in its log; without it the timeout is a dead end.
    throw new Error(`${(error as Error).message}; its log ends: ${log.slice(-3000)}`, { cause: error });
  }
  return {
    name: options.name,
    readyUrl: options.readyUrl,
    process: child,
    output: () => log,
    stop: () => signal('SIGTERM'),
    kill: async () => {
      await signal('SIGKILL');
    },
  };
}
