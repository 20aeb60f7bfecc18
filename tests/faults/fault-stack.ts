/**
 * What the fault tests share: the three services started as deployed against the servers a test
 * names (private ones for the dependency it takes down), one connection watched by a real Celery
 * worker, and the checks an SRE would make: is each process alive, and what does /readyz say
 * (event-evidence.ts checks the data).
 */
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import pg from 'pg';
import { startCollector, startGateway, startProjector } from '../harness/celeriac-services';
import { createTestTopics } from '../harness/isolation';
import type { ServiceProcess } from '../harness/service-process';

export interface FaultStack {
  readonly connectionId: string;
  readonly collector: ServiceProcess;
  readonly projector: ServiceProcess;
  readonly gateway: ServiceProcess & { url: string };
  readonly services: readonly ServiceProcess[];
  /**
   * One more replica of each service, started now without waiting for readiness (a dependency is
   * down): the projector joins the same consumer group, so the read models are written once.
   */
  startLateReplicas(): Promise<ServiceProcess[]>;
  stop(): Promise<void>;
}

/** Faster than production so an outage shows within seconds: lease TTL, readiness checks, PostgreSQL timeouts. */
const FAST = {
  CELERIAC_LEASE_TTL_MS: '4000',
  CELERIAC_LEASE_RENEW_MS: '1000',
  CELERIAC_DEPENDENCY_CHECK_MS: '500',
  CELERIAC_DEPENDENCY_CHECK_TIMEOUT_MS: '3000',
  CELERIAC_PG_CONNECT_TIMEOUT_MS: '2000',
  CELERIAC_PG_STATEMENT_TIMEOUT_MS: '4000',
  CELERIAC_PG_QUERY_TIMEOUT_MS: '5000',
};

export async function startFaultStack(options: {
  databaseUrl: string;
  kafkaBrokers: string[];
  brokerUrl: string;
}): Promise<FaultStack> {
  const secretKey = randomBytes(32).toString('base64');
  const topics = await createTestTopics(['events', 'deadletter'], 3, options.kafkaBrokers);
  const db = new pg.Client({ connectionString: options.databaseUrl });
  await db.connect();
  const { rows } = await db
    .query<{ connection_id: string }>(
      'INSERT INTO celeriac.connections (name, broker_url_encrypted, options) VALUES ($1, $2, $3) RETURNING connection_id',
      [
        `fault-${randomBytes(3).toString('hex')}`,
        createSecretBox(secretKey).seal(options.brokerUrl),
        JSON.stringify({ inspectIntervalMs: 0, queueSampleIntervalMs: 0 }),
      ],
    )
    .finally(() => db.end());
  const connectionId = rows[0]?.connection_id as string;
  const env = {
    ...FAST,
    CELERIAC_DATABASE_URL: options.databaseUrl,
    CELERIAC_KAFKA_BROKERS: options.kafkaBrokers.join(','),
    CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
    CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter as string,
    CELERIAC_SECRET_KEY: secretKey,
    CELERIAC_AUTH_DISABLED: 'true',
    CELERIAC_DEFAULT_CONNECTION: connectionId,
  };
  const started: ServiceProcess[] = [];
  try {
    const collector = await startCollector(env);
    started.push(collector);
    const group = `fault-${randomBytes(4).toString('hex')}`;
    const projector = await startProjector(env, group);
    started.push(projector);
    const gateway = await startGateway(env);
    started.push(gateway);
    return {
      connectionId,
      collector,
      projector,
      gateway,
      services: [collector, projector, gateway],
      async startLateReplicas() {
        const late = { waitUntil: 'listening' } as const;
        const replicas = [
          await startCollector(env, late),
          await startProjector(env, group, late),
          await startGateway(env, late),
        ];
        started.push(...replicas);
        return replicas;
      },
      async stop() {
        await Promise.all(started.map((service) => service.kill()));
        await topics.remove().catch(() => undefined);
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.kill()));
    await topics.remove().catch(() => undefined);
    throw error;
  }
}

/** What /readyz answers: status code and the JSON body's `reason`. */
export async function readiness(service: ServiceProcess): Promise<{ status: number; reason?: string }> {
  const response = await fetch(service.readyUrl);
  const body = (await response.json()) as { reason?: string };
  return { status: response.status, reason: body.reason };
}

export function isAlive(service: ServiceProcess): boolean {
  return service.process.exitCode === null && service.process.signalCode === null;
}
