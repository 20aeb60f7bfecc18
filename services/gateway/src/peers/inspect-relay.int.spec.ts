import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { stackServiceEnv } from '@celeriac/tests/harness/admin-cli';
import { startCollector } from '@celeriac/tests/harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertKey, TEST_SECRET_KEY } from '../testing/gateway-fixture';
import { metricOf, type PeerGateway, startPeerGateway } from '../testing/peer-gateways';

type Gateway = PeerGateway;

/** One refresh round is the eight inspect methods, each one Control Inspect call on the collector. */
const ROUND = 8;

// Three gateway replicas with peers on, a real collector and a real Celery worker: worker refreshes
// asked of all three at once reach the worker as one inspect round.
describe('worker refreshes coalesced across gateway replicas (real collector, Celery worker, three processes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let pool: pg.Pool;
  let collector: (ServiceProcess & { grpcAddress: string }) | undefined;
  let worker: CeleryWorker | undefined;
  const gateways: Gateway[] = [];
  const keys: string[] = [];
  let connectionId: string;

  const collectorInspects = () =>
    metricOf(
      (collector as ServiceProcess).readyUrl.replace('/readyz', '/metrics'),
      'celeriac_collector_control_requests_total',
      'method="Inspect"',
    );
  const peerInspects = (gateway: Gateway, outcome: string) =>
    metricOf(`${gateway.url}/metrics`, 'celeriac_gateway_peer_inspects_total', `outcome="${outcome}"`);
  const refresh = async (gateway: Gateway, key: string) => {
    const response = await fetch(`${gateway.url}/api/workers?refresh=1&connectionId=${connectionId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, Record<string, unknown>>,
    };
  };

  beforeAll(async () => {
    [db, topics, vhost] = await Promise.all([
      createTestDatabase(),
      createTestTopics(['events', 'deadletter'], 3),
      createTestVhost(),
    ]);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const { rows } = await pool.query<{ connection_id: string }>(
      'INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ($1, $2) RETURNING connection_id',
      ['peer-inspect', createSecretBox(TEST_SECRET_KEY).seal(vhost.url)],
    );
    connectionId = rows[0]?.connection_id as string;
    // Two keys, so a burst stays within the per-key refresh quota wherever it is counted.
    keys.push(
      await insertKey(pool, 'viewer', [connectionId]),
      await insertKey(pool, 'viewer', [connectionId]),
    );
    const env = stackServiceEnv({ databaseUrl: db.url, topics: topics.topics, secretKey: TEST_SECRET_KEY });
    collector = await startCollector(env);
    const replica = async () => {
      gateways.push(
        await startPeerGateway(
          { databaseUrl: db.url, eventsTopic: topics.topics.events as string },
          {
            ...env,
            // A replica killed -9 stays a member this long: the fallback test runs inside that window.
            CELERIAC_GATEWAY_PEER_TTL_MS: '60000',
          },
        ),
      );
    };
    await Promise.all([replica(), replica(), replica()]);
    await waitFor('the collector to hold the lease', async () => {
      if (collector?.process.exitCode !== null) throw new Error(`collector exited: ${collector?.output()}`);
      return (
        (await pool.query('SELECT 1 FROM celeriac.connection_leases WHERE expires_at > now()')).rowCount === 1
      );
    });
    // Each replica reads only the partitions it owns once it sees all three members.
    await waitFor('every replica to see the other two', async () => {
      const read = await Promise.all(
        gateways.map((gateway) => metricOf(`${gateway.url}/metrics`, 'celeriac_gateway_peer_partitions')),
      );
      return read.reduce((a, b) => a + b, 0) === 3;
    });
    worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'peerinspect', concurrency: 1 });
    const W = worker.nodeName;
    await waitFor(
      'the worker to answer a refresh',
      async () => (await refresh(gateways[0] as Gateway, keys[0] as string)).body[W],
      {
        timeoutMs: 60_000,
      },
    );
    // Keys looked up on every replica, so the burst below is not spread out by first lookups.
    for (const gateway of gateways)
      for (const key of keys)
        await fetch(`${gateway.url}/api/workers?connectionId=${connectionId}`, {
          headers: { authorization: `Bearer ${key}` },
        });
  }, 180_000);

  afterAll(async () => {
    await worker?.kill().catch(() => undefined);
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    await collector?.kill();
    await pool?.end();
    await Promise.allSettled([db?.drop(), topics?.remove(), vhost?.remove()]);
  });

  let designated: Gateway | undefined;

  it('six concurrent refreshes over three replicas cost one inspect round, and all carry the worker', async () => {
    const W = (worker as CeleryWorker).nodeName;
    const before = await collectorInspects();
    const servedBefore = await Promise.all(gateways.map((gateway) => peerInspects(gateway, 'served')));
    const from = Date.now() / 1000;
    const answers = await Promise.all(
      gateways.flatMap((gateway) => keys.map((key) => refresh(gateway, key))),
    );
    for (const { status, body } of answers) {
      expect(status).toBe(200);
      expect(body[W]?.active_queues).toEqual(expect.any(Array));
      expect(body[W]?.timestamp).toBeGreaterThanOrEqual(from);
    }
    expect((await collectorInspects()) - before).toBe(ROUND);
    // One replica ran the round for the other two: each of them asked it once for its two clients.
    const served = await Promise.all(gateways.map((gateway) => peerInspects(gateway, 'served')));
    const serving = gateways.filter((_, at) => (served[at] ?? 0) > (servedBefore[at] ?? 0));
    expect(serving).toHaveLength(1);
    designated = serving[0];
    const forwarded = await Promise.all(
      gateways
        .filter((gateway) => gateway !== designated)
        .map((gateway) => peerInspects(gateway, 'forwarded')),
    );
    expect(forwarded.every((count) => count >= 1)).toBe(true);
  });

  it('with the designated replica killed -9, a refresh on another replica still answers', async () => {
    const W = (worker as CeleryWorker).nodeName;
    const target = designated as Gateway;
    await target.kill();
    const other = gateways.find((gateway) => gateway !== target) as Gateway;
    const fallbacks = await peerInspects(other, 'fallback');
    const { status, body } = await refresh(other, keys[0] as string);
    expect(status).toBe(200);
    expect(body[W]?.active_queues).toEqual(expect.any(Array));
    // The replica still counted the dead one as designated (its row has not expired) and inspected itself.
    expect((await peerInspects(other, 'fallback')) - fallbacks).toBe(1);
  });
});
