/**
 * Sustained Celery traffic for the chaos suite: demo_app's sender at a steady rate until stopped,
 * then the ids it sent (its own summary: a task counts as sent once Celery handed it to the broker).
 * `add` tasks succeed and `error` tasks fail, so every task id maps to the final state it must reach.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readStackEnv } from '../harness/stack-env';

export type FinalState = 'SUCCESS' | 'FAILURE';

const FINAL_OF: Record<string, FinalState> = { 'tasks.add': 'SUCCESS', 'tasks.error': 'FAILURE' };

interface Summary {
  total: number;
  ids: Record<string, string[]>;
  error?: string;
}

/** Task id -> the final state it must reach, from a sender's summary. */
function finalStates(summary: Summary): Map<string, FinalState> {
  const expected = new Map<string, FinalState>();
  for (const [name, ids] of Object.entries(summary.ids)) {
    const state = FINAL_OF[name];
    if (!state) throw new Error(`the sender sent ${name}, whose final state the suite does not know`);
    for (const id of ids) expected.set(id, state);
  }
  return expected;
}

function runSender(brokerUrl: string, args: string[]): { child: ChildProcess; done: Promise<Summary> } {
  const stack = readStackEnv();
  const child = spawn(stack.python, ['send_traffic.py', '--ids', ...args], {
    cwd: stack.celeryAppDir,
    env: { ...process.env, CELERY_BROKER_URL: brokerUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  const done = new Promise<Summary>((resolve, reject) =>
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const summary = JSON.parse(line) as Summary;
        if (summary.error) reject(new Error(`send_traffic failed (${code}): ${summary.error}`));
        else resolve(summary);
      } catch {
        reject(new Error(`send_traffic exited ${code} without a summary: ${out.slice(-1000)} ${err}`));
      }
    }),
  );
  // Observed by whoever stops the sender; a sender cut off by the run's own teardown is no failure.
  done.catch(() => undefined);
  return { child, done };
}

/** A sender running at `rate` tasks/s (80% add, 20% error) until `stop()`, which returns what it sent. */
export function startTraffic(brokerUrl: string, rate: number): { stop(): Promise<Map<string, FinalState>> } {
  const sender = runSender(brokerUrl, [
    '--rate',
    String(rate),
    '--duration',
    '0',
    '--mix',
    'add=80,error=20',
  ]);
  return {
    async stop() {
      sender.child.kill('SIGTERM');
      return finalStates(await sender.done);
    },
  };
}

/** `count` marker tasks (all `add`) sent at once; resolves with their ids once the broker has them. */
export async function sendMarkers(brokerUrl: string, count: number): Promise<Map<string, FinalState>> {
  const sender = runSender(brokerUrl, ['--count', String(count), '--rate', '100', '--mix', 'add=1']);
  return finalStates(await sender.done);
}
