import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait-for';
import {
  brokerPhase,
  hostileSettings,
  httpPhase,
  pidboxPhase,
  type SuiteContext,
  sendCanaryTask,
  upgradePhase,
} from './hostile-phases';
import { type HostileStack, startHostileStack } from './hostile-stack';
import { listedTaskStates, type SentTasks, startCeleryClient, unfinished } from './legit-traffic';
import { seededRandom, suiteSeed } from './seeded-random';

const settings = hostileSettings();
const seed = suiteSeed();
const random = seededRandom(seed);
const show = (title: string, value: unknown) =>
  console.log(`[hostile seed=${seed}] ${title}\n${JSON.stringify(value, null, 2)}`);

/**
 * The stack as deployed (collector, projector, gateway, a real Celery worker and client) under
 * generated hostile input: HTTP requests over every route, malformed broker messages with fake pidbox
 * replies, WebSocket/SSE upgrade abuse. Nothing may answer a 5xx other than 503, take a service down or
 * stall it, leak a credential, or lose a real task. Sizes: HOSTILE_REQUESTS, HOSTILE_MESSAGES,
 * HOSTILE_UPGRADES_PER_KIND; a failure names its request and HOSTILE_SEED (+ HOSTILE_ONLY) replays it.
 */
describe('Celeriac under hostile input', () => {
  let stack: HostileStack;
  let context: SuiteContext;
  let during: ReturnType<typeof startCeleryClient> | undefined;

  beforeAll(async () => {
    console.log(`[hostile] seed ${seed} (replay with HOSTILE_SEED=${seed})`);
    stack = await startHostileStack();
    context = await sendCanaryTask(stack);
    during = startCeleryClient(stack.brokerUrl, ['--rate', '4', '--duration', '0', '--seed', String(seed)]);
  });

  afterAll(async () => {
    await during?.finish().catch(() => undefined);
    await stack?.stop();
  });

  it(`answers ${settings.requests} generated requests over every route with no 5xx but 503, no crash and no stall`, async () => {
    const report = await httpPhase(stack, context, random.fork('http'), settings);
    show('HTTP requests', { ...report, serverErrors: report.serverErrors.slice(0, 50) });
    expect(report.incidents, 'crashes, hangs and stalls with the requests that caused them').toEqual([]);
    expect(report.serverErrors, '5xx answers other than 503').toEqual([]);
    expect(report.sent + report.skipped).toBe(settings.requests);
  }, 900_000);

  it(`takes ${settings.messages} malformed celeryev messages without losing a service or an event`, async () => {
    const report = await brokerPhase(stack, random.fork('broker'), settings);
    show('celeryev messages', report);
    expect(report.incidents, 'message kinds that took a service down or stopped the pipeline').toEqual([]);
    expect(report.published).toBeGreaterThanOrEqual(settings.messages);
  }, 900_000);

  it('takes hostile pidbox replies to the inspects of /api/workers?refresh=1', async () => {
    const workers = (name: string) =>
      fetch(`${stack.gateway.url()}/api/workers?workername=${name}`, {
        headers: { authorization: `Bearer ${stack.keys.viewer}` },
      });
    // An inspect reply from a node named __proto__ must not give every object a `timestamp`.
    expect((await workers('timestamp')).status).toBe(404);
    const report = await pidboxPhase(stack, random.fork('pidbox'), settings);
    show('pidbox replies', report);
    expect(report.incidents, 'reply kinds that took the gateway or the collector down').toEqual([]);
    expect(report.serverErrors, '5xx answers to /api/workers?refresh=1').toEqual([]);
    expect(report.leaks, 'credentials from inspect replies shown to clients').toEqual([]);
    expect(report.inspectRequests, 'inspect requests the fake worker answered').toBeGreaterThan(0);
    expect((await workers('timestamp')).status, 'prototype pollution by a node named __proto__').toBe(404);
  }, 900_000);

  it('holds against WebSocket and SSE upgrade abuse', async () => {
    const report = await upgradePhase(stack, context, random.fork('upgrade'), settings);
    show('WS/SSE upgrade abuse', report);
    expect(report.incidents, 'abuse kinds that took the gateway down').toEqual([]);
    expect(report.serverErrors).toEqual([]);
  }, 900_000);

  it('reports every real Celery task sent during and after the run with its final state', async () => {
    const sentDuring = (await during?.finish()) as SentTasks;
    during = undefined;
    const sentAfter = await startCeleryClient(stack.brokerUrl, ['--count', '40', '--rate', '40']).finish(
      false,
    );
    const total = [...Object.values(sentDuring), ...Object.values(sentAfter)].flat().length;
    expect(total).toBeGreaterThan(40);
    let problems: { during: string[]; after: string[] } = { during: [], after: [] };
    await waitFor(
      'every sent task in /api/tasks in its final state',
      async () => {
        const states = await listedTaskStates(stack.gateway.url(), stack.keys.viewer);
        problems = { during: unfinished(sentDuring, states), after: unfinished(sentAfter, states) };
        return problems.during.length + problems.after.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    ).catch(() => undefined);
    const worker =
      stack.worker.process.exitCode === null ? 'running' : `exited ${stack.worker.process.exitCode}`;
    // The worker's first error says more than its last lines (a dying worker repeats one warning).
    const log = stack.worker.output();
    // tasks.error fails on purpose: look for what takes a worker down instead.
    const firstError = log.search(
      /CRITICAL|Unrecoverable|Connection to broker lost|consumer: Cannot connect/,
    );
    const detail = `of ${total} sent; the worker is ${worker}; its log ${firstError < 0 ? `ends: ${log.slice(-1_500)}` : `first says: ${log.slice(firstError, firstError + 1_500)}`}`;
    expect(problems.after, `tasks sent after the run missing or not final ${detail}`).toEqual([]);
    expect(problems.during, `tasks sent during the run missing or not final ${detail}`).toEqual([]);
  }, 900_000);

  it('ends with every service process alive, answering /healthz, never restarted', async () => {
    for (const service of [stack.gateway, stack.collector, stack.projector]) {
      expect(service.exited(), `${service.name} exited`).toBe(false);
      expect((await fetch(`${service.url()}/healthz`)).status, `${service.name} /healthz`).toBe(200);
      expect(
        service.restarts.map((restart) => restart.log.slice(-800)),
        `${service.name} restarts`,
      ).toEqual([]);
    }
  });
});
