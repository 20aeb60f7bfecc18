/**
 * The chaos suite's stack: Kafka, PostgreSQL and RabbitMQ of its own (it restarts them; the shared
 * servers serve every other test file), two replicas of each Celeriac service on fixed ports (a
 * replica killed or restarted comes back where the load balancer expects it, as a pod behind its
 * Service does), HAProxy in front of the gateways, one connection watched by real Celery workers.
 */
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import pg from 'pg';
import { freePort } from '../harness/free-port';
import { createTestTopics } from '../harness/isolation';
import { type PrivateKafka, startPrivateKafka } from '../harness/private-kafka';
import { type PrivatePostgres, startPrivatePostgres } from '../harness/private-postgres';
import { type PrivateRabbitMq, startPrivateRabbitMq } from '../harness/private-rabbitmq';
import { type ServiceProcess, startService } from '../harness/service-process';
import { type LoadBalancer, startLoadBalancer } from './haproxy';

export type ServiceName = 'collector' | 'projector' | 'gateway';

/** One replica slot: its ports stay the same across kills and restarts. */
export interface Replica {
  readonly name: ServiceName;
  readonly slot: number;
  readonly grpcAddress?: string;
  /** The process running now (undefined between a kill and the restart). */
  current(): ServiceProcess | undefined;
  /** kill -9, as a crash or an OOM kill. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the drain, as a rolling update does. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and resolves when /readyz answers 200. */
  start(): Promise<void>;
}

export interface ChaosStack {
  readonly kafka: PrivateKafka;
  readonly postgres: PrivatePostgres;
  readonly rabbit: PrivateRabbitMq;
  readonly connectionId: string;
  readonly replicas: Record<ServiceName, Replica[]>;
  readonly balancer: LoadBalancer;
  stop(): Promise<void>;
}

/**
 * Faster than production so a fault shows within seconds (lease TTL, readiness checks, PostgreSQL
 * timeouts); stream quotas raised because every client comes from one address through HAProxy and
 * the suite opens 100 streams at once, and a 2 s heartbeat so idle clients' cursors advance.
 */
const CHAOS_ENV = {
  CELERIAC_LEASE_TTL_MS: '4000',
  CELERIAC_LEASE_RENEW_MS: '1000',
  CELERIAC_DEPENDENCY_CHECK_MS: '500',
  CELERIAC_DEPENDENCY_CHECK_TIMEOUT_MS: '3000',
  CELERIAC_PG_CONNECT_TIMEOUT_MS: '2000',
  CELERIAC_PG_STATEMENT_TIMEOUT_MS: '5000',
  CELERIAC_PG_QUERY_TIMEOUT_MS: '6000',
  CELERIAC_GATEWAY_RATE_PER_SECOND: '0',
  CELERIAC_GATEWAY_STREAMS_PER_KEY: '1000',
  CELERIAC_GATEWAY_STREAMS_PER_CONNECTION: '1000',
  CELERIAC_GATEWAY_CATCH_UPS_PER_KEY: '200',
  CELERIAC_GATEWAY_CATCH_UPS_PER_CONNECTION: '200',
  CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: '2000',
};

function replicaSlot(name: ServiceName, slot: number, env: Record<string, string>, ports: number[]): Replica {
  let process: ServiceProcess | undefined;
  const [port, grpcPort] = ports as [number, number];
  const grpcAddress = name === 'collector' ? `127.0.0.1:${grpcPort}` : undefined;
  const own: Record<ServiceName, Record<string, string>> = {
    collector: {
      CELERIAC_COLLECTOR_OPS_PORT: String(port),
      CELERIAC_COLLECTOR_GRPC_PORT: String(grpcPort),
      CELERIAC_COLLECTOR_GRPC_ADVERTISE: grpcAddress ?? '',
      CELERIAC_COLLECTOR_ID: `collector-${slot}`,
    },
    projector: { CELERIAC_PROJECTOR_OPS_PORT: String(port) },
    gateway: { CELERIAC_GATEWAY_PORT: String(port), CELERIAC_GATEWAY_HOST: '127.0.0.1' },
  };
  return {
    name,
    slot,
    grpcAddress,
    current: () => process,
    async kill() {
      await process?.kill();
      process = undefined;
    },
    async stop() {
      await process?.stop();
      process = undefined;
    },
    async start() {
      process = await startService({
        name,
        env: { ...env, ...own[name] },
        readyUrl: `http://127.0.0.1:${port}/readyz`,
        timeoutMs: 180_000,
      });
    },
  };
}

export async function startChaosStack(): Promise<ChaosStack> {
  const [kafka, postgres, rabbit] = await Promise.all([
    startPrivateKafka(),
    startPrivatePostgres(),
    startPrivateRabbitMq(),
  ]);
  const started: Replica[] = [];
  let balancer: LoadBalancer | undefined;
  const stopAll = async () => {
    await Promise.all(started.map((replica) => replica.kill()));
    await balancer?.stop();
    await Promise.allSettled([kafka.remove(), postgres.remove(), rabbit.remove()]);
  };
  try {
    // Three partitions: both projectors own some, and a projector's death moves real work.
    const topics = await createTestTopics(['events', 'deadletter'], 3, kafka.brokers);
    const secretKey = randomBytes(32).toString('base64');
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const { rows } = await db
      .query<{ connection_id: string }>(
        'INSERT INTO celeriac.connections (name, broker_url_encrypted, options) VALUES ($1, $2, $3) RETURNING connection_id',
        ['chaos', createSecretBox(secretKey).seal(rabbit.url), JSON.stringify({ inspectIntervalMs: 0 })],
      )
      .finally(() => db.end());
    const connectionId = rows[0]?.connection_id as string;
    const env = {
      ...CHAOS_ENV,
      CELERIAC_DATABASE_URL: postgres.url,
      CELERIAC_KAFKA_BROKERS: kafka.brokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
      CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter as string,
      CELERIAC_SECRET_KEY: secretKey,
      CELERIAC_AUTH_DISABLED: 'true',
      CELERIAC_DEFAULT_CONNECTION: connectionId,
      CELERIAC_PROJECTOR_GROUP: `chaos-${randomBytes(4).toString('hex')}`,
    };
    const replicas = {} as Record<ServiceName, Replica[]>;
    for (const name of ['collector', 'projector', 'gateway'] as const) {
      replicas[name] = [];
      for (const slot of [0, 1]) {
        const replica = replicaSlot(name, slot, env, [await freePort(), await freePort()]);
        replicas[name].push(replica);
        started.push(replica);
      }
    }
    // One at a time, as a rollout brings pods up: a replica that fails to start is named alone.
    for (const replica of started) await replica.start();
    const gatewayPorts = replicas.gateway.map((replica) =>
      Number(new URL(replica.current()?.readyUrl ?? '').port),
    );
    balancer = await startLoadBalancer(gatewayPorts);
    return { kafka, postgres, rabbit, connectionId, replicas, balancer, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
