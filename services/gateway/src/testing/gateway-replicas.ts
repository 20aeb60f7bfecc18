import { startGateway } from '@celeriac/tests/harness/celeriac-services';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';

export type Replica = ServiceProcess & { url: string; peerAddress: string };

/**
 * `count` gateway processes with peers on, over one fresh database and a three-partition topic, each
 * with its peer gRPC port on 127.0.0.1; resolves once all of them are live members.
 */
export async function startReplicas(count: number, env: Record<string, string>) {
  const db = await createTestDatabase();
  const topics = await createTestTopics(['events'], 3);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => {});
  const replicas: Replica[] = [];
  const start = async () => {
    const peerPort = await freePort();
    const peerAddress = `127.0.0.1:${peerPort}`;
    const gateway = await startGateway({
      CELERIAC_DATABASE_URL: db.url,
      CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
      CELERIAC_GATEWAY_PEERS_ENABLED: 'true',
      CELERIAC_GATEWAY_PEER_HOST: '127.0.0.1',
      CELERIAC_GATEWAY_PEER_PORT: String(peerPort),
      CELERIAC_GATEWAY_PEER_ADDRESS: peerAddress,
      CELERIAC_GATEWAY_PEER_RENEW_MS: '500',
      ...env,
    });
    replicas.push(Object.assign(gateway, { peerAddress }));
  };
  const close = async () => {
    await Promise.allSettled(replicas.map((replica) => replica.stop()));
    await pool.end();
    await Promise.allSettled([topics.remove(), db.drop()]);
  };
  try {
    await Promise.all(Array.from({ length: count }, start));
    await waitFor(
      `${count} live members`,
      async () =>
        (await pool.query('SELECT 1 FROM celeriac.gateway_members WHERE expires_at > now()')).rowCount ===
        count,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { replicas, pool, close, at: (index: number) => replicas[index % count] as Replica };
}

/** A series of the replica's /metrics, e.g. `name{kind="stream"}`; 0 when it is not there yet. */
export async function metricOf(replica: Replica, series: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? 0);
}
