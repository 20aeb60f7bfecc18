import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './stack-env';
import { waitFor } from './wait-for';

export interface ServiceProcess {
  readonly name: string;
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** kill -9, as a crash. */
  kill(): Promise<void>;
}

/** The heap cap of the service's `npm start` (k8s/ and `npm start` of the repo use the same). */
function heapFlags(name: string): string[] {
  const manifest = JSON.parse(readFileSync(`${REPO_ROOT}services/${name}/package.json`, 'utf8')) as {
    scripts?: { start?: string };
  };
  return manifest.scripts?.start?.match(/--max-old-space-size=\d+/g) ?? [];
}

/**
 * Runs one Celeriac service exactly as deployed (`node --max-old-space-size=N --import tsx
 * services/<name>/src/main.ts`) with the given environment, and resolves when `readyUrl` answers 200.
 */
export async function startService(options: {
  name: 'collector' | 'projector' | 'gateway';
  env: Record<string, string>;
  readyUrl: string;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const args = [...heapFlags(options.name), '--import', 'tsx', `services/${options.name}/src/main.ts`];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, CELERIAC_LOG_LEVEL: 'warn', ...options.env },
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
        return response?.ok ?? false;
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
    process: child,
    output: () => log,
    stop: () => signal('SIGTERM'),
    kill: async () => {
      await signal('SIGKILL');
    },
  };
}
