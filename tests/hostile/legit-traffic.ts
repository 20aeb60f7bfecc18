import { type ChildProcess, spawn } from 'node:child_process';
import { readStackEnv } from '../harness/stack-env';

/** Task ids a real Celery client sent, by task name. */
export type SentTasks = Record<string, string[]>;

export const FINAL_STATE: Record<string, string> = {
  'tasks.add': 'SUCCESS',
  'tasks.echo': 'SUCCESS',
  'tasks.error': 'FAILURE',
};

/**
 * A real Celery client (tests/celery-app/send_traffic.py) sending quick tasks to the connection's
 * broker; `finish()` stops it (SIGTERM, which it handles) and returns the ids it sent.
 */
export function startCeleryClient(
  brokerUrl: string,
  args: string[],
): { finish(stop?: boolean): Promise<SentTasks> } {
  const stack = readStackEnv();
  const child: ChildProcess = spawn(
    stack.python,
    ['send_traffic.py', '--mix', 'add=6,echo=2,error=2', '--ids', ...args],
    {
      cwd: stack.celeryAppDir,
      env: { ...process.env, CELERY_BROKER_URL: brokerUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-5_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    /** `stop` false: wait for a client given --count to finish on its own. */
    async finish(stop = true) {
      if (stop && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        const summary = JSON.parse(line) as { ids: SentTasks; error?: string };
        if (summary.error) throw new Error(`the Celery client failed: ${summary.error}`);
        return summary.ids;
      } catch (error) {
        throw new Error(`no summary from send_traffic.py (${(error as Error).message}): ${stdout} ${stderr}`);
      }
    },
  };
}

/** Every task of the gateway's /api/tasks (paged with limit/offset), as id -> state. */
export async function listedTaskStates(gatewayUrl: string, key: string): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (let offset = 0; ; offset += 1_000) {
    const response = await fetch(`${gatewayUrl}/api/tasks?limit=1000&offset=${offset}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (response.status !== 200)
      throw new Error(`/api/tasks answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as Record<string, { state?: string }>;
    const ids = Object.keys(page);
    for (const id of ids) states.set(id, String(page[id]?.state));
    if (ids.length < 1_000) return states;
  }
}

/** The sent tasks missing from /api/tasks or not in their final state, as `id name state`. */
export function unfinished(sent: SentTasks, states: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, ids] of Object.entries(sent)) {
    for (const id of ids) {
      const state = states.get(id);
      if (state !== FINAL_STATE[name]) problems.push(`${id} ${name} ${state ?? 'missing'}`);
    }
  }
  return problems;
}
