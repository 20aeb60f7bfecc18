import { waitFor } from '../harness/wait-for';
import { type BrokerAttackReport, runBrokerAttack } from './broker-attack';
import type { WatchLimits } from './gateway-watch';
import type { HostileStack } from './hostile-stack';
import { type HttpAttackReport, runHttpAttack } from './http-attack';
import { generateRequest } from './http-requests';
import { type PidboxAttackReport, runPidboxAttack } from './pidbox-attack';
import { countFromEnv, type Random } from './seeded-random';
import { runUpgradeAbuse, type UpgradeReport } from './upgrade-abuse';

/** Sizes and limits, from HOSTILE_* variables; defaults are the minimum. */
export function hostileSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    requests: countFromEnv('HOSTILE_REQUESTS', 20_000, env),
    messages: countFromEnv('HOSTILE_MESSAGES', 10_000, env),
    upgradesPerKind: countFromEnv('HOSTILE_UPGRADES_PER_KIND', 40, env),
    pidboxRounds: countFromEnv('HOSTILE_PIDBOX_ROUNDS', 3, env),
    concurrency: countFromEnv('HOSTILE_CONCURRENCY', 16, env),
    maxIncidents: countFromEnv('HOSTILE_MAX_INCIDENTS', 6, env),
    only: env.HOSTILE_ONLY ? new Set(env.HOSTILE_ONLY.split(',').map(Number)) : undefined,
    limits: {
      stallMs: countFromEnv('HOSTILE_STALL_MS', 3_000, env),
      hangMs: countFromEnv('HOSTILE_HANG_MS', 15_000, env),
    } satisfies WatchLimits,
  };
}
export type HostileSettings = ReturnType<typeof hostileSettings>;

export interface SuiteContext {
  connectionId: string;
  workerName: string;
  taskId: string;
}

/** A real task through the gateway (it is also the example task id of the generated requests). */
export async function sendCanaryTask(stack: HostileStack): Promise<SuiteContext> {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.gateway.url()}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${stack.keys.operator}` },
    });
  await waitFor(
    'the worker in /api/workers',
    async () =>
      ((await (await api('/api/workers?status=true')).json()) as Record<string, unknown>)[
        stack.worker.nodeName
      ] !== undefined,
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const sent = (await (
    await api('/api/task/async-apply/tasks.add', { method: 'POST', body: '{"args":[2,3]}' })
  ).json()) as Record<string, string>;
  const taskId = sent['task-id'] as string;
  await waitFor(
    'the canary task to succeed',
    async () =>
      ((await (await api(`/api/task/info/${taskId}`)).json()) as { state?: string }).state === 'SUCCESS',
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  // Time and rate limits need a task name the gateway has seen; the Celery client never sends this one.
  const sleep = await api('/api/task/async-apply/tasks.sleep', { method: 'POST', body: '{"args":[0]}' });
  if (sleep.status !== 200) throw new Error(`tasks.sleep not sent: ${sleep.status} ${await sleep.text()}`);
  return { connectionId: stack.connectionId, workerName: stack.worker.nodeName, taskId };
}

export function httpPhase(
  stack: HostileStack,
  context: SuiteContext,
  random: Random,
  settings: HostileSettings,
): Promise<HttpAttackReport> {
  // Request i is the i-th draw of one stream: regenerate in order so HOSTILE_ONLY=i is request i.
  const generated = new Map<number, ReturnType<typeof generateRequest>>();
  let drawn = 0;
  const generate = (index: number) => {
    while (drawn <= index) {
      generated.set(drawn, generateRequest(random, drawn, context, stack.keys));
      drawn += 1;
    }
    const request = generated.get(index) as ReturnType<typeof generateRequest>;
    generated.delete(index);
    return request;
  };
  return runHttpAttack(stack.gateway, {
    total: settings.requests,
    concurrency: settings.concurrency,
    requestTimeoutMs: 10_000,
    maxIncidents: settings.maxIncidents,
    generate,
    only: settings.only,
    ...settings.limits,
  });
}

export function brokerPhase(
  stack: HostileStack,
  random: Random,
  settings: HostileSettings,
): Promise<BrokerAttackReport> {
  return runBrokerAttack(stack, random, settings.messages, 20_000);
}

export function pidboxPhase(
  stack: HostileStack,
  random: Random,
  settings: HostileSettings,
): Promise<PidboxAttackReport> {
  return runPidboxAttack(stack, random, settings.pidboxRounds, settings.limits);
}

export function upgradePhase(
  stack: HostileStack,
  context: SuiteContext,
  random: Random,
  settings: HostileSettings,
): Promise<UpgradeReport> {
  return runUpgradeAbuse(
    {
      gateway: stack.gateway,
      key: stack.keys.viewer,
      taskId: context.taskId,
      connectionId: context.connectionId,
    },
    random,
    settings.upgradesPerKind,
    20,
    settings.limits,
  );
}
