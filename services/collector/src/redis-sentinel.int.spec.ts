import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestBroker, redisDbOf, type TestBroker } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  readEvents,
  SECRET_KEY,
  spawnCollector,
  waitForEventQueue,
} from '../testing/collector-harness';

const MASTER = 'celeriac-test';

/**
 * A private Redis Sentinel (Debian's redis-sentinel) on a port of its own, watching the shared Redis
 * without changing it: no replicas, and a down-after long enough that it never tries a failover.
 */
async function startSentinel(master: URL): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-sentinel-'));
  const port = await freePort();
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER} ${master.hostname} ${master.port || 6379} 1`,
      `sentinel down-after-milliseconds ${MASTER} 600000`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('redis-sentinel', [config], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  await waitFor('the sentinel to know its master', async () => {
    try {
      if (probe.status !== 'ready') await probe.connect();
      const address = (await probe.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as string[] | null;
      return address !== null && address.length === 2;
    } catch {
      probe.disconnect();
      return false;
    }
  });
  probe.disconnect();
  return {
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A connection that names only a sentinel: the collector must ask it for the master and ingest from there.
describe('collector on a Redis Sentinel connection', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let broker: TestBroker;
  let sentinel: Awaited<ReturnType<typeof startSentinel>> | undefined;
  let collector: CollectorProcess | undefined;
  let worker: CeleryWorker | undefined;
  let reader: Awaited<ReturnType<typeof readEvents>> | undefined;

  beforeAll(async () => {
    [world, broker] = await Promise.all([createWorld({ vhostCount: 0 }), createTestBroker('redis')]);
    sentinel = await startSentinel(new URL(broker.url));
  }, 120_000);

  afterAll(async () => {
    await worker?.kill().catch(() => undefined);
    await collector?.kill();
    await reader?.stop().catch(() => undefined);
    await sentinel?.stop();
    await broker?.remove();
    await world?.cleanup();
  }, 60_000);

  it("ingests a real worker's events through the master the sentinel names", async () => {
    const sentinelUrl = `sentinel://127.0.0.1:${sentinel!.port}/${redisDbOf(broker.url)}`;
    const connectionId = await world.store.insertConnection({
      name: 'sentinel',
      brokerUrlEncrypted: createSecretBox(SECRET_KEY).seal(sentinelUrl),
      options: { redisMasterName: MASTER, inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    reader = await readEvents(world.eventsTopic);
    collector = await spawnCollector(world.env);
    await waitForEventQueue(broker.url, connectionId);
    worker = await startCeleryWorker({ brokerUrl: broker.url });
    const fromWorker = () =>
      reader!.records.filter(
        (record) => record.key === connectionId && record.value.hostname === worker!.nodeName,
      );
    await waitFor(
      'the worker online in Kafka',
      () => fromWorker().some((r) => r.value.type === 'worker-online'),
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor(
      'a heartbeat of the worker in Kafka',
      () => fromWorker().some((r) => r.value.type === 'worker-heartbeat'),
      { timeoutMs: 60_000 },
    );
  }, 180_000);
});
