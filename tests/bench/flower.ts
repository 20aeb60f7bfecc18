/** Flower 2.0.1 from the test venv, run beside Celeriac by the stack benchmark. */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../harness/free-port';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';

export async function startFlower(brokerUrl: string): Promise<{ url: string; process: ChildProcess }> {
  const stack = readStackEnv();
  const port = await freePort();
  const child = spawn(
    stack.python,
    [
      '-m',
      'celery',
      '--broker',
      brokerUrl,
      'flower',
      '--address=127.0.0.1',
      `--port=${port}`,
      // The anchor of the project's budgets (docs/architecture.md#budgets-and-benchmarks): Flower holding
      // 100,000 tasks (its default keeps 10,000).
      '--max_tasks=100000',
    ],
    {
      cwd: stack.celeryAppDir,
      env: { ...process.env, FLOWER_UNAUTHENTICATED_API: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-5000)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'Flower to answer',
    async () => {
      if (child.exitCode !== null) throw new Error(`Flower exited: ${log}`);
      return (await fetch(`${url}/healthcheck`).catch(() => undefined))?.ok === true;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  return { url, process: child };
}

/** Task events Flower has folded into its state (its own Prometheus counter). */
export async function flowerApplied(url: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    let total = 0;
    for (const line of text.split('\n'))
      if (line.startsWith('flower_events_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    return total;
  } catch {
    return undefined; // Flower too busy to answer: keep the last reading
  }
}
