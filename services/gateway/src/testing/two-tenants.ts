import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { stackServiceEnv } from '@celeriac/tests/harness/admin-cli';
import { startCollector, startGateway, startProjector } from '@celeriac/tests/harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import type { Role } from '../auth/principal';
import { insertKey, TEST_SECRET_KEY } from './gateway-fixture';

/** One HTTP request to the gateway, as the tenancy attack builds it. */
export interface GatewayRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | FormData;
}

export interface GatewayReply {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: replies are probed field by field
  json: any;
}

async function sendTo(base: string, request: GatewayRequest, key: string): Promise<GatewayReply> {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: { ...request.headers, authorization: `Bearer ${key}` },
    body: request.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

export interface Tenant {
  connectionId: string;
  vhost: string;
  worker: CeleryWorker;
}

/**
 * Two tenants on the real stack, each with a vhost of its own and a real Celery worker, watched by
 * one collector, one projector and one gateway run as deployed (child processes). Tenant A's worker
 * uses a failover broker URL, so its `stats` reply carries `broker.alternates` with the password.
 */
export async function startTwoTenants() {
  const [db, topics, vhostA, vhostB] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter']),
    createTestVhost(),
    createTestVhost(),
  ]);
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  pool.on('error', () => {});
  const processes: ServiceProcess[] = [];
  const workers: CeleryWorker[] = [];
  const close = async () => {
    await Promise.allSettled(workers.map((worker) => worker.kill()));
    await Promise.allSettled(processes.map((service) => service.kill()));
    await pool.end();
    await Promise.allSettled([db.drop(), topics.remove(), vhostA.remove(), vhostB.remove()]);
  };
  try {
    const env = {
      ...stackServiceEnv({ databaseUrl: db.url, topics: topics.topics, secretKey: TEST_SECRET_KEY }),
      CELERIAC_GATEWAY_APPLY_TIMEOUT_SECONDS: '30',
    };
    const box = createSecretBox(TEST_SECRET_KEY);
    const addConnection = async (name: string, url: string) => {
      const options = JSON.stringify({ queueSampleIntervalMs: 500, inspectIntervalMs: 1_000 });
      const { rows } = await pool.query<{ connection_id: string }>(
        'INSERT INTO celeriac.connections (name, broker_url_encrypted, options) VALUES ($1, $2, $3) RETURNING connection_id',
        [name, box.seal(url), options],
      );
      return rows[0]?.connection_id as string;
    };
    const idA = await addConnection('tenant-a', vhostA.url);
    const idB = await addConnection('tenant-b', vhostB.url);
    const collector = await startCollector(env);
    processes.push(collector);
    processes.push(await startProjector(env));
    // Thousands of probes from one key: the per-key rate limit (its own test) would answer them 429.
    const gateway = await startGateway({ ...env, CELERIAC_GATEWAY_RATE_PER_SECOND: '0' });
    processes.push(gateway);
    await waitFor(
      'the collector to hold both leases',
      async () => {
        const { rowCount } = await pool.query(
          'SELECT 1 FROM celeriac.connection_leases WHERE expires_at > now()',
        );
        if (collector.process.exitCode !== null) throw new Error(`collector exited: ${collector.output()}`);
        return rowCount === 2;
      },
      { timeoutMs: 60_000 },
    );
    const [workerA, workerB] = await Promise.all([
      startCeleryWorker({ brokerUrl: `${vhostA.url};${vhostA.url}`, name: 'tenant-a', concurrency: 1 }),
      startCeleryWorker({ brokerUrl: vhostB.url, name: 'tenant-b', concurrency: 1 }),
    ]);
    workers.push(workerA, workerB);
    return {
      url: gateway.url,
      send: (request: GatewayRequest, key: string) => sendTo(gateway.url, request, key),
      pool,
      a: { connectionId: idA, vhost: vhostA.vhost, worker: workerA } satisfies Tenant,
      b: { connectionId: idB, vhost: vhostB.vhost, worker: workerB } satisfies Tenant,
      key: (role: Role, connections: string[] | 'all') => insertKey(pool, role, connections),
      /** The broker password the workers use (the same RabbitMQ user for both vhosts). */
      brokerPassword: decodeURIComponent(new URL(vhostA.url).password),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export type TwoTenants = Awaited<ReturnType<typeof startTwoTenants>>;
