/**
 * The outage the Kafka and PostgreSQL fault tests both run, against a stack of fault-stack.ts and a
 * tap on the worker's events: a first batch of tasks is stored; traffic goes on while the dependency
 * is taken down; every service says so on /readyz and stays alive, and replicas started during the
 * outage come up and wait; once it is back every service is ready again and every task event Celery
 * sent is in PostgreSQL exactly once.
 */
import { sendTraffic } from '@celeriac/collector/testing/collector-harness';
import { expect } from 'vitest';
import type { ServiceProcess } from '../harness/service-process';
import { waitFor } from '../harness/wait-for';
import { sentTaskEventIds, storedTaskCount, storedTaskEvents } from './event-evidence';
import { type FaultStack, isAlive, readiness } from './fault-stack';

export interface Outage {
  stack: FaultStack;
  /** The Celery events seen on the wire (collector-harness tapCeleryEvents). */
  tap: { readonly elements: readonly Record<string, unknown>[] };
  brokerUrl: string;
  /** Where the read models are (the stack's database). */
  databaseUrl: string;
  /** How /readyz names it: `kafka` or `postgresql`. */
  dependency: string;
  takeDown(): Promise<void>;
  bringBack(): Promise<void>;
  /** What a user of the read API sees while it is down. */
  checkApiDuringOutage(response: Response): Promise<void>;
  /** How long the services may take to be ready again once it is back. */
  readyAgainMs: number;
}

const FINISHED = new Set(['task-succeeded', 'task-failed']);

/** Runs the outage; resolves with the late replicas (already checked), for a test that goes on. */
export async function runOutage(outage: Outage): Promise<ServiceProcess[]> {
  const { stack, tap, dependency } = outage;
  const { connectionId, gateway, services } = stack;
  const allTaskEventsStored = async () => {
    const expected = sentTaskEventIds(connectionId, tap.elements);
    const stored = await storedTaskEvents(outage.databaseUrl, connectionId);
    return expected.size > 0 && [...expected].every((id) => stored.has(id)) ? { expected, stored } : false;
  };
  const mix = ['--rate', '60', '--mix', 'add=80,error=20'];
  await sendTraffic(outage.brokerUrl, ['--count', '60', ...mix]);
  await waitFor('the first tasks in PostgreSQL', allTaskEventsStored, { timeoutMs: 60_000, intervalMs: 500 });

  // Traffic keeps flowing through the outage.
  const traffic = sendTraffic(outage.brokerUrl, [
    '--count',
    '200',
    '--rate',
    '20',
    '--mix',
    'add=80,error=20',
  ]);
  await outage.takeDown();
  const reportsDown = (service: ServiceProcess) =>
    waitFor(
      `${service.name} to report ${dependency} down on /readyz`,
      async () => {
        const ready = await readiness(service);
        return ready.status === 503 && ready.reason?.startsWith(`${dependency} unreachable`);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  for (const service of services) await reportsDown(service);
  await outage.checkApiDuringOutage(await fetch(`${gateway.url}/api/tasks?limit=5`));
  // Replicas started now, with the dependency down, come up and wait instead of exiting.
  const late = await stack.startLateReplicas();
  for (const service of late) await reportsDown(service);
  const everyone = [...services, ...late];
  for (const service of everyone) expect(isAlive(service), `${service.name} alive`).toBe(true);

  await outage.bringBack();
  for (const service of everyone)
    await waitFor(
      `${service.name} to be ready again`,
      async () => (await readiness(service)).status === 200,
      {
        timeoutMs: outage.readyAgainMs,
        intervalMs: 250,
      },
    );
  await traffic;
  await waitFor(
    'all 260 tasks to finish on the wire',
    () => tap.elements.filter((e) => FINISHED.has(e.type as string)).length >= 260,
    { timeoutMs: 60_000 },
  );
  const { expected, stored } = await waitFor(
    'every task event Celery sent, in PostgreSQL',
    allTaskEventsStored,
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
  // Exactly once: nothing beyond what Celery sent, and no event twice.
  expect([...stored.keys()].filter((id) => !expected.has(id))).toEqual([]);
  expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
  expect(await storedTaskCount(outage.databaseUrl, connectionId)).toBe(260);
  for (const service of everyone) expect(isAlive(service), `${service.name} alive`).toBe(true);
  return late;
}
