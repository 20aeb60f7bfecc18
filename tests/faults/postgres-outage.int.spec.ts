import { sendTraffic, tapCeleryEvents } from '@celeriac/collector/testing/collector-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CeleryWorker, startCeleryWorker } from '../harness/celery-worker';
import { createTestVhost } from '../harness/isolation';
import { type PrivatePostgres, startPrivatePostgres } from '../harness/private-postgres';
import type { ServiceProcess } from '../harness/service-process';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { sentTaskEventIds, storedTaskCount, storedTaskEvents } from './event-evidence';
import { type FaultStack, isAlive, readiness, startFaultStack } from './fault-stack';
import { runOutage } from './outage-scenario';

// PostgreSQL crashes (pg_ctl stop -m immediate) while a real worker is busy. Collector, projector and
// gateway share a PostgreSQL server of this test's own; Kafka and RabbitMQ are the shared ones.
describe('the whole stack across a PostgreSQL outage', () => {
  let postgres: PrivatePostgres;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let stack: FaultStack | undefined;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>> | undefined;
  let late: ServiceProcess[] = [];

  beforeAll(async () => {
    [postgres, vhost] = await Promise.all([startPrivatePostgres(), createTestVhost()]);
    stack = await startFaultStack({
      databaseUrl: postgres.url,
      kafkaBrokers: readStackEnv().kafkaBrokers,
      brokerUrl: vhost.url,
    });
    tap = await tapCeleryEvents(vhost.url);
    worker = await startCeleryWorker({ brokerUrl: vhost.url, concurrency: 2 });
  }, 180_000);

  afterAll(async () => {
    await worker?.kill();
    await tap?.close().catch(() => undefined);
    await stack?.stop();
    await vhost?.remove().catch(() => undefined);
    await postgres?.remove();
  }, 120_000);

  it('keeps every service up and not ready while PostgreSQL is down, then stores every event exactly once', {
    timeout: 170_000,
  }, async () => {
    late = await runOutage({
      stack: stack as FaultStack,
      tap: tap as NonNullable<typeof tap>,
      brokerUrl: vhost.url,
      databaseUrl: postgres.url,
      dependency: 'postgresql',
      takeDown: () => postgres.stop('immediate'),
      bringBack: () => postgres.start(),
      checkApiDuringOutage: async (response) => {
        expect(response.status).toBe(503);
        expect(response.headers.get('content-type')).toMatch(/application\/json/);
        expect(((await response.json()) as { error?: string }).error).toMatch(/database is unavailable/);
      },
      readyAgainMs: 60_000,
    });
    expect((await fetch(`${(stack as FaultStack).gateway.url}/api/tasks?limit=5`)).status).toBe(200);
  });

  it('treats a PostgreSQL that hangs (no answer at all) the same way, through its connect and query timeouts', {
    timeout: 170_000,
  }, async () => {
    const { connectionId, gateway, services } = stack as FaultStack;
    const everyone = [...services, ...late];
    const traffic = sendTraffic(vhost.url, ['--count', '100', '--rate', '20', '--mix', 'add=80,error=20']);
    await postgres.freeze();
    try {
      for (const service of everyone)
        await waitFor(
          `${service.name} to report PostgreSQL down on /readyz`,
          async () => {
            const ready = await readiness(service);
            return ready.status === 503 && ready.reason?.startsWith('postgresql unreachable');
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        );
      const started = Date.now();
      const api = await fetch(`${gateway.url}/api/tasks?limit=5`, { signal: AbortSignal.timeout(30_000) });
      expect(api.status).toBe(503);
      expect(((await api.json()) as { error?: string }).error).toMatch(/database is unavailable/);
      // Bounded by the pool's connect (2 s) or query (5 s) timeout, not by the hang.
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const service of everyone) expect(isAlive(service), `${service.name} alive`).toBe(true);
    } finally {
      await postgres.thaw();
    }
    for (const service of everyone)
      await waitFor(
        `${service.name} to be ready again`,
        async () => (await readiness(service)).status === 200,
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
    await traffic;
    await waitFor(
      'all 360 tasks to finish on the wire',
      () =>
        (tap?.elements ?? []).filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >=
        360,
      { timeoutMs: 60_000 },
    );
    const expected = sentTaskEventIds(connectionId, tap?.elements ?? []);
    const stored = await waitFor(
      'every task event Celery sent, in PostgreSQL',
      async () => {
        const rows = await storedTaskEvents(postgres.url, connectionId);
        return [...expected].every((id) => rows.has(id)) ? rows : false;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect([...stored.keys()].filter((id) => !expected.has(id))).toEqual([]);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await storedTaskCount(postgres.url, connectionId)).toBe(360);
    for (const service of everyone) expect(isAlive(service), `${service.name} alive`).toBe(true);
  });
});
