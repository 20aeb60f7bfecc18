import { waitFor } from '../harness/wait-for';
import { probeHealth, type WatchLimits } from './gateway-watch';
import type { HostileStack } from './hostile-stack';
import { LEAK_MARKER, REPLY_KINDS, startPidboxImpostor } from './pidbox-impostor';
import type { Random } from './seeded-random';

export interface PidboxAttackReport {
  inspectRequests: number;
  replies: number;
  refreshes: Record<string, number>;
  serverErrors: string[];
  /** Answers that showed a password the fake worker reported. */
  leaks: string[];
  /** Reply kinds after which the gateway or the collector had crashed or hung, restarted since. */
  incidents: { kind: string; services: string[]; log: string }[];
}

const ROLES = ['viewer', 'operator', 'support', 'admin'] as const;

/**
 * A fake worker answers every inspect with hostile replies, one kind at a time, while a client of each
 * role asks /api/workers?refresh=1 (the gateway then inspects through the collector) `rounds` times.
 */
export async function runPidboxAttack(
  stack: HostileStack,
  random: Random,
  rounds: number,
  limits: WatchLimits,
): Promise<PidboxAttackReport> {
  const impostor = await startPidboxImpostor(stack.brokerUrl, random);
  const report: PidboxAttackReport = {
    inspectRequests: 0,
    replies: 0,
    refreshes: {},
    serverErrors: [],
    leaks: [],
    incidents: [],
  };
  const refresh = async (role: (typeof ROLES)[number], kind: string) => {
    const path = `/api/workers?refresh=1${random.chance(0.3) ? '&workername=impostor%40x' : ''}`;
    const outcome = await fetch(`${stack.gateway.url()}${path}`, {
      headers: { authorization: `Bearer ${stack.keys[role]}` },
      signal: AbortSignal.timeout(30_000),
    })
      .then(async (response) => ({ status: response.status, body: await response.text() }))
      .catch((error: Error) => ({ status: 0, body: error.message }));
    report.refreshes[outcome.status] = (report.refreshes[outcome.status] ?? 0) + 1;
    if (outcome.status >= 500 && outcome.status !== 503)
      report.serverErrors.push(
        `[${kind}] ${role} GET ${path} -> ${outcome.status} ${outcome.body.slice(0, 200)}`,
      );
    if (outcome.body.includes(LEAK_MARKER))
      report.leaks.push(`[${kind}] ${role} GET ${path} showed '${LEAK_MARKER}'`);
  };
  try {
    for (const kind of Object.keys(REPLY_KINDS)) {
      impostor.answerWith(kind);
      for (let round = 0; round < rounds; round++)
        await Promise.all(ROLES.map((role) => refresh(role, kind)));
      const down = [];
      for (const service of [stack.gateway, stack.collector]) {
        const health = await probeHealth(service, limits);
        if (health === 'crash' || health === 'hung') down.push(service);
      }
      if (down.length > 0) {
        report.incidents.push({
          kind,
          services: down.map((s) => s.name),
          log: (down[0]?.logTail() ?? '').slice(-1_500),
        });
        try {
          for (const service of down) await service.restart();
          // The gateway needs a collector lease again before the next kind's inspects mean anything.
          await waitFor(
            'the worker in /api/workers again',
            async () => {
              const response = await fetch(`${stack.gateway.url()}/api/workers?status=1`, {
                headers: { authorization: `Bearer ${stack.keys.viewer}` },
              });
              return response.status === 200;
            },
            { timeoutMs: 60_000, intervalMs: 500 },
          );
        } catch (error) {
          report.incidents.push({
            kind,
            services: ['restart failed'],
            log: (error as Error).message.slice(-2_000),
          });
          break;
        }
      }
    }
  } finally {
    Object.assign(report, { inspectRequests: impostor.stats().requests, replies: impostor.stats().replies });
    await impostor.stop();
  }
  return report;
}
