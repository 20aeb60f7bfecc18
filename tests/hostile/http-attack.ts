import http from 'node:http';
import { type Health, probeHealth, replayAlone, type ServiceTarget, type WatchLimits } from './gateway-watch';
import { describeRequest, type Outcome, send } from './http-client';
import type { HostileRequest } from './http-requests';

export interface HttpAttackOptions extends WatchLimits {
  total: number;
  concurrency: number;
  requestTimeoutMs: number;
  /** Stop after this many crashes/hangs/stalls (each costs a restart and a replay of its suspects). */
  maxIncidents: number;
  generate(index: number): HostileRequest;
  /** Only these indices are sent (HOSTILE_ONLY), to replay a reported request. */
  only?: Set<number>;
}

export interface Incident {
  health: Health;
  suspects: number;
  culprits: { request: string; health: Health; outcome: string; log: string }[];
}

export interface HttpAttackReport {
  sent: number;
  skipped: number;
  byStatus: Record<string, number>;
  /** Every 5xx other than 503, with the request that got it. */
  serverErrors: { request: string; status: number; body: string }[];
  incidents: Incident[];
  /** Requests not answered in time while the gateway stayed healthy (long result waits). */
  slow: number;
  seconds: number;
  /** Mean and worst answer time per route, ms: where the run spends its time. */
  latency: Record<string, { count: number; meanMs: number; maxMs: number }>;
}

interface InFlight {
  request: HostileRequest;
  started: number;
  ended?: number;
}

const outcomeText = (outcome: Outcome) =>
  'status' in outcome
    ? `${outcome.status} ${outcome.bodyHead.slice(0, 200)}`
    : `${outcome.error} after ${outcome.ms} ms`;

/**
 * Sends `total` generated requests with bounded concurrency while a watcher probes /healthz. A crash,
 * hang or stall pauses the run: the gateway is restarted if needed and every request in flight during
 * the incident is replayed alone to name the culprit, whose kind of request is then left out so the
 * run can find other failures.
 */
export async function runHttpAttack(
  target: ServiceTarget,
  options: HttpAttackOptions,
): Promise<HttpAttackReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const report: HttpAttackReport = {
    sent: 0,
    skipped: 0,
    byStatus: {},
    serverErrors: [],
    incidents: [],
    slow: 0,
    seconds: 0,
    latency: {},
  };
  const skip = new Set<string>();
  const recent: InFlight[] = [];
  let next = 0;
  let incident: Promise<void> | undefined;
  let stopped = false;
  const started = performance.now();

  const handle = async (health: Health, windowStart: number) => {
    // Let what is in flight settle (a dead or restarted gateway answers nothing more).
    while (recent.some((entry) => entry.ended === undefined))
      await new Promise((resolve) => setTimeout(resolve, 50));
    const suspects = recent.filter((entry) => (entry.ended ?? Infinity) >= windowStart).slice(-64);
    if (health === 'crash' || health === 'hung') await target.restart();
    const culprits: Incident['culprits'] = [];
    for (const suspect of suspects) {
      const replay = await replayAlone(target, agent, suspect.request, options);
      if (replay.health !== 'ok') {
        culprits.push({
          request: describeRequest(suspect.request),
          health: replay.health,
          outcome: outcomeText(replay.outcome),
          log: replay.log.slice(-1500),
        });
        skip.add(suspect.request.family ?? suspect.request.signature);
      }
    }
    report.incidents.push({ health, suspects: suspects.length, culprits });
    recent.length = 0;
    if (report.incidents.length >= options.maxIncidents) stopped = true;
  };

  const watcher = (async () => {
    while (!stopped) {
      const windowStart = performance.now();
      const health = await probeHealth(target, options);
      if (health !== 'ok' && !stopped) {
        incident = handle(health, windowStart);
        await incident;
        incident = undefined;
      } else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  const worker = async () => {
    for (;;) {
      while (incident) await incident;
      if (stopped || next >= options.total) return;
      const index = next++;
      const request = options.generate(index);
      if ((options.only && !options.only.has(index)) || skip.has(request.family ?? request.signature)) {
        report.skipped += 1;
        continue;
      }
      const entry: InFlight = { request, started: performance.now() };
      recent.push(entry);
      if (recent.length > 2_000) recent.splice(0, recent.length - 1_000);
      const outcome = await send(agent, target.url(), request, options.requestTimeoutMs);
      entry.ended = performance.now();
      report.sent += 1;
      const route = request.signature.split(' ')[1] ?? '';
      const stats = report.latency[route] ?? { count: 0, meanMs: 0, maxMs: 0 };
      report.latency[route] = stats;
      stats.count += 1;
      stats.meanMs += (outcome.ms - stats.meanMs) / stats.count;
      stats.maxMs = Math.max(stats.maxMs, outcome.ms);
      const key =
        'status' in outcome
          ? String(outcome.status)
          : outcome.timedOut
            ? 'timeout'
            : `error ${outcome.error}`;
      report.byStatus[key] = (report.byStatus[key] ?? 0) + 1;
      if ('status' in outcome && outcome.status >= 500 && outcome.status !== 503) {
        report.serverErrors.push({
          request: describeRequest(request),
          status: outcome.status,
          body: outcome.bodyHead.slice(0, 300),
        });
      }
      if (!('status' in outcome) && outcome.timedOut && (await probeHealth(target, options)) === 'ok')
        report.slow += 1;
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, worker));
  stopped = true;
  await watcher;
  agent.destroy();
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
