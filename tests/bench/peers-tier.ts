/** A tier of gateway processes for the peers benchmark: started, scraped, told apart. */
import { ownerOf } from '@celeriac/gateway/peers/rendezvous';
import type pg from 'pg';
import { startGateway } from '../harness/celeriac-services';
import { freePort } from '../harness/free-port';
import type { ServiceProcess } from '../harness/service-process';
import { waitFor } from '../harness/wait-for';

export type Gateway = ServiceProcess & { url: string; port: number; peerAddress: string | undefined };

/** Gauges or counters of one /metrics answer, each summed over the label sets containing `labels`. */
export async function scrapeMany(
  gateway: Gateway,
  names: readonly (readonly [string, string?])[],
): Promise<number[]> {
  const lines = (await (await fetch(`${gateway.url}/metrics`)).text()).split('\n');
  return names.map(([name, labels = '']) => {
    let sum = 0;
    for (const line of lines)
      if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels))
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  });
}

export async function scrape(gateway: Gateway, name: string, labels = ''): Promise<number> {
  return (await scrapeMany(gateway, [[name, labels]]))[0] as number;
}

/**
 * `replicas` gateways as deployed, one after the other. With `peers`, each has its peer gRPC port
 * and the tier is returned once every partition is read by exactly one replica (the rebalance after
 * the last join is over), so no replica still reads a partition it lost while starting alone.
 */
export async function startTier(options: {
  replicas: number;
  peers: boolean;
  partitions: number;
  env: Record<string, string>;
  /** The tier's database, where the members table says who owns what. */
  pool: pg.Pool;
}): Promise<Gateway[]> {
  const gateways: Gateway[] = [];
  try {
    for (let i = 0; i < options.replicas; i += 1) {
      const peerPort = options.peers ? await freePort() : undefined;
      const peerAddress = peerPort === undefined ? undefined : `127.0.0.1:${peerPort}`;
      const peerEnv: Record<string, string> = peerAddress
        ? {
            CELERIAC_GATEWAY_PEERS_ENABLED: 'true',
            CELERIAC_GATEWAY_PEER_HOST: '127.0.0.1',
            CELERIAC_GATEWAY_PEER_PORT: String(peerPort),
            CELERIAC_GATEWAY_PEER_ADDRESS: peerAddress,
          }
        : {};
      const gateway = await startGateway({ ...options.env, ...peerEnv });
      gateways.push(Object.assign(gateway, { port: Number(new URL(gateway.url).port), peerAddress }));
    }
    if (options.peers)
      await waitFor(
        'every replica to read exactly the partitions it owns',
        async () => {
          const members = await options.pool.query(
            'SELECT 1 FROM celeriac.gateway_members WHERE expires_at > now()',
          );
          if (members.rowCount !== options.replicas) return false;
          const owners = await Promise.all(
            Array.from({ length: options.partitions }, (_, p) =>
              ownerOfPartition(options.pool, gateways, p, options.partitions),
            ),
          );
          const read = await Promise.all(
            gateways.map((gateway) => scrape(gateway, 'celeriac_gateway_peer_partitions')),
          );
          return gateways.every(
            (gateway, i) => read[i] === owners.filter((owner) => owner === gateway).length,
          );
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    return gateways;
  } catch (error) {
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    throw error;
  }
}

/** The replica that owns `partition` now, by the live members table and the replicas' own rule. */
export async function ownerOfPartition(
  pool: pg.Pool,
  gateways: readonly Gateway[],
  partition: number,
  partitions: number,
): Promise<Gateway | undefined> {
  const { rows } = await pool.query<{ member_id: string; peer_address: string }>(
    'SELECT member_id, peer_address FROM celeriac.gateway_members WHERE expires_at > now()',
  );
  const owner = ownerOf(
    rows.map((row) => row.member_id),
    partition,
    partitions,
  );
  const address = rows.find((row) => row.member_id === owner)?.peer_address;
  return gateways.find((gateway) => gateway.peerAddress === address);
}
