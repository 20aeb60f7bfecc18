/**
 * The faults the suite injects, in turn. `inject` does the damage (and, for a server, brings it back
 * as its supervisor would); `repair` is what the orchestrator does afterwards, restarting a killed
 * replica, and is timed apart from the recovery, which the survivors must achieve on their own.
 */
import pg from 'pg';
import { waitFor } from '../harness/wait-for';
import type { ChaosStack, Replica } from './chaos-stack';

export interface Fault {
  name: string;
  /** Needs Celery quiet first: a broker restart drops the transient event messages still queued. */
  quiesce?: boolean;
  inject(): Promise<void>;
  repair?(): Promise<void>;
}

/** The collector whose lease holds the connection: killing the idle one would prove nothing. */
async function leaseHolder(stack: ChaosStack): Promise<Replica> {
  const client = new pg.Client({ connectionString: stack.postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ owner_grpc_address: string }>(
      'SELECT owner_grpc_address FROM celeriac.connection_leases WHERE connection_id = $1',
      [stack.connectionId],
    );
    const holder = stack.replicas.collector.find((r) => r.grpcAddress === rows[0]?.owner_grpc_address);
    if (!holder) throw new Error(`no collector replica holds the lease (${rows[0]?.owner_grpc_address})`);
    return holder;
  } finally {
    await client.end();
  }
}

/**
 * The projector doing the work: the collector keys records by connection, so the one connection's
 * events live on one partition and one replica of the group consumes them (the other stands by).
 */
async function busyProjector(stack: ChaosStack): Promise<Replica> {
  const counted = await Promise.all(
    stack.replicas.projector.map(async (replica) => {
      const url = replica.current()?.readyUrl.replace('/readyz', '/metrics');
      const text = url ? await (await fetch(url)).text() : '';
      const events = [...text.matchAll(/^celeriac_projector_events_total(?:\{[^}]*\})? (\d+)/gm)];
      return { replica, events: events.reduce((sum, match) => sum + Number(match[1]), 0) };
    }),
  );
  counted.sort((a, b) => b.events - a.events);
  if (!counted[0]?.events) throw new Error('no projector replica has projected an event yet');
  return counted[0].replica;
}

function killOne(name: string, pick: () => Promise<Replica>): Fault {
  let victim: Replica | undefined;
  return {
    name,
    async inject() {
      victim = await pick();
      await victim.kill();
    },
    repair: async () => victim?.start(),
  };
}

export function chaosFaults(stack: ChaosStack): Fault[] {
  const { kafka, postgres, rabbit, replicas } = stack;
  return [
    killOne('kill -9 collector (the lease holder)', () => leaseHolder(stack)),
    killOne('kill -9 projector (the one consuming the partition)', () => busyProjector(stack)),
    killOne('kill -9 gateway', async () => replicas.gateway[0] as Replica),
    {
      name: 'restart RabbitMQ',
      quiesce: true,
      async inject() {
        await rabbit.stop('SIGTERM');
        await rabbit.start();
      },
    },
    {
      name: 'restart Kafka (kill -9, start)',
      async inject() {
        await kafka.stop('SIGKILL');
        await kafka.start();
      },
    },
    {
      name: 'restart PostgreSQL (immediate stop, start)',
      async inject() {
        await postgres.stop('immediate');
        await postgres.start();
      },
    },
    {
      name: 'rolling restart of the gateways',
      async inject() {
        // One at a time, the next only once HAProxy counts the restarted one as up again.
        for (const gateway of replicas.gateway) {
          await gateway.stop();
          await gateway.start();
          await waitFor(
            `HAProxy to count gateway ${gateway.slot} up`,
            async () => (await stack.balancer.serversUp()).get(`g${gateway.slot}`),
            { timeoutMs: 60_000, intervalMs: 200 },
          );
        }
      },
    },
  ];
}
