import { startGateway } from '@celeriac/tests/harness/celeriac-services';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';

export type PeerGateway = ServiceProcess & { url: string; peerAddress: string };

/**
 * A gateway process with peers on, as one replica of a fleet: the fleet's database and events topic,
 * a peer port of its own, membership renewed every 500 ms so joins are seen within a second. `env` is
 * added last (a test's own TTL, quotas or progress interval).
 */
export async function startPeerGateway(
  fleet: { databaseUrl: string; eventsTopic: string },
  env: Record<string, string> = {},
): Promise<PeerGateway> {
  const peerPort = await freePort();
  const peerAddress = `127.0.0.1:${peerPort}`;
  const gateway = await startGateway({
    CELERIAC_DATABASE_URL: fleet.databaseUrl,
    CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
    CELERIAC_EVENTS_TOPIC: fleet.eventsTopic,
    CELERIAC_GATEWAY_PEERS_ENABLED: 'true',
    CELERIAC_GATEWAY_PEER_HOST: '127.0.0.1',
    CELERIAC_GATEWAY_PEER_PORT: String(peerPort),
    CELERIAC_GATEWAY_PEER_ADDRESS: peerAddress,
    CELERIAC_GATEWAY_PEER_RENEW_MS: '500',
    ...env,
  });
  return Object.assign(gateway, { peerAddress });
}

/**
 * `count` replicas over a fresh database and a three-partition events topic; resolves once every one
 * is a live member. `close` stops them and removes the database and topic.
 */
export async function startReplicas(count: number, env: Record<string, string>) {
  const [db, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'], 3)]);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => {});
  const replicas: PeerGateway[] = [];
  const fleet = { databaseUrl: db.url, eventsTopic: topics.topics.events as string };
  const close = async () => {
    await Promise.allSettled(replicas.map((replica) => replica.stop()));
    await pool.end();
    await Promise.allSettled([topics.remove(), db.drop()]);
  };
  try {
    await Promise.all(
      Array.from({ length: count }, async () => replicas.push(await startPeerGateway(fleet, env))),
    );
    await waitFor(`${count} live members`, async () => (await liveMembers(pool)) === count);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    replicas,
    pool,
    close,
    eventsTopic: fleet.eventsTopic,
    databaseUrl: fleet.databaseUrl,
    at: (index: number) => replicas[index % count] as PeerGateway,
  };
}

/** Members whose row has not expired: the replicas every replica currently counts. */
export async function liveMembers(pool: pg.Pool): Promise<number> {
  const result = await pool.query('SELECT 1 FROM celeriac.gateway_members WHERE expires_at > now()');
  return result.rowCount ?? 0;
}

/** A gauge or counter of a service's /metrics, summed over the label sets whose text holds `labels`. */
export async function metricOf(metricsUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
