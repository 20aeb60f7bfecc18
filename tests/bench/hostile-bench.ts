/**
 * The hostile-input suite at bench size (part of `npm run bench`):
 *
 *   node --import tsx tests/bench/hostile-bench.ts
 *
 * The stack as deployed (tests/hostile/hostile-stack.ts) takes HOSTILE_REQUESTS generated hostile HTTP
 * requests (default 100,000 here), HOSTILE_MESSAGES malformed celeryev messages (default 10,000),
 * hostile pidbox replies and WS/SSE upgrade abuse, while a real Celery client sends tasks. Writes
 * tests/bench/HOSTILE-REPORT.md: requests, 5xx answers, throughput, crashes/stalls, whether every
 * service is still alive, peak and final RSS of each service, and whether every real task arrived.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../harness/wait-for';
import {
  brokerPhase,
  hostileSettings,
  httpPhase,
  pidboxPhase,
  sendCanaryTask,
  upgradePhase,
} from '../hostile/hostile-phases';
import { startHostileStack } from '../hostile/hostile-stack';
import { listedTaskStates, startCeleryClient, unfinished } from '../hostile/legit-traffic';
import { seededRandom, suiteSeed } from '../hostile/seeded-random';
import { rssMb } from './stack-measures';

const REPORT = fileURLToPath(new URL('./HOSTILE-REPORT.md', import.meta.url));
const settings = hostileSettings({ HOSTILE_REQUESTS: '100000', HOSTILE_MAX_INCIDENTS: '20', ...process.env });
const seed = suiteSeed();
const random = seededRandom(seed);
const mb = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');

async function main(): Promise<void> {
  console.log(`hostile bench: seed ${seed}, ${settings.requests} requests, ${settings.messages} messages`);
  const stack = await startHostileStack();
  const services = [stack.gateway, stack.collector, stack.projector];
  const peak = new Map(services.map((service) => [service.name, 0]));
  const sampler = setInterval(() => {
    for (const service of services) {
      const rss = rssMb(service.process().process.pid);
      if (rss > (peak.get(service.name) ?? 0)) peak.set(service.name, rss);
    }
  }, 1_000);
  try {
    const context = await sendCanaryTask(stack);
    const client = startCeleryClient(stack.brokerUrl, [
      '--rate',
      '4',
      '--duration',
      '0',
      '--seed',
      String(seed),
    ]);
    const http = await httpPhase(stack, context, random.fork('http'), settings);
    const broker = await brokerPhase(stack, random.fork('broker'), settings);
    const pidbox = await pidboxPhase(stack, random.fork('pidbox'), settings);
    const upgrades = await upgradePhase(stack, context, random.fork('upgrade'), settings);
    const sent = await client.finish();
    let missing: string[] = [];
    await waitFor(
      'every real task in /api/tasks',
      async () => {
        missing = unfinished(sent, await listedTaskStates(stack.gateway.url(), stack.keys.viewer));
        return missing.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    ).catch(() => undefined);
    const alive = await Promise.all(
      services.map(async (service) => {
        const ok =
          !service.exited() &&
          (await fetch(`${service.url()}/healthz`).then(
            (r) => r.ok,
            () => false,
          ));
        return `| ${service.name} | ${ok ? 'yes' : 'NO'} | ${service.restarts.length} | ${mb(peak.get(service.name) ?? Number.NaN)} | ${mb(rssMb(service.process().process.pid))} |`;
      }),
    );
    const serverErrors = http.serverErrors.length + pidbox.serverErrors.length + upgrades.serverErrors.length;
    const lines = [
      '## Hostile input (tests/bench/hostile-bench.ts)',
      '',
      `Run ${new Date().toISOString()} on ${cpus().length} cores (load average ${loadavg()[0]?.toFixed(1)} at the end), seed ${seed}.`,
      '',
      '| figure | value |',
      '| --- | --- |',
      `| HTTP requests sent (skipped after an incident) | ${http.sent} (${http.skipped}) |`,
      `| throughput | ${(http.sent / http.seconds).toFixed(0)} requests/s over ${http.seconds.toFixed(0)} s, concurrency ${settings.concurrency} |`,
      `| answers by status | ${Object.entries(http.byStatus)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')} |`,
      `| 5xx other than 503 (HTTP, refresh, upgrades) | ${serverErrors} |`,
      `| HTTP crashes/hangs/stalls | ${http.incidents.length} |`,
      `| celeryev messages published | ${broker.published} in ${broker.seconds.toFixed(0)} s; kinds that broke the pipeline: ${broker.incidents.map((i) => `${i.kind} (${i.failure})`).join(', ') || 'none'} |`,
      `| pidbox replies | ${pidbox.replies} to ${pidbox.inspectRequests} inspects; incidents: ${pidbox.incidents.map((i) => i.kind).join(', ') || 'none'}; leaks: ${pidbox.leaks.length} |`,
      `| WS/SSE abuse attempts | ${upgrades.attempts}; kinds that crashed the gateway: ${upgrades.incidents.map((i) => i.kind).join(', ') || 'none'} |`,
      `| real tasks sent / missing or not final | ${Object.values(sent).flat().length} / ${missing.length} |`,
      '',
      '| service | alive at the end | restarts | peak RSS MB | final RSS MB |',
      '| --- | --- | --- | --- | --- |',
      ...alive,
      '',
    ];
    writeFileSync(REPORT, `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
    const details = {
      http: { ...http, serverErrors: http.serverErrors.slice(0, 20) },
      broker,
      pidbox,
      upgrades,
    };
    console.log(JSON.stringify(details, null, 2).slice(0, 20_000));
  } finally {
    clearInterval(sampler);
    await stack.stop();
  }
}

await main();
