import { randomBytes } from 'node:crypto';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { type ServiceProcess, startService } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';

export type ServiceName = 'collector' | 'projector' | 'gateway';

export interface MonitoringStack {
  databaseUrl: string;
  /** The environment the services run with (for the admin CLI). */
  env: Record<string, string>;
  /** host:port of each service's /metrics. */
  metricsTargets: Record<ServiceName, string>;
  services: Map<ServiceName, ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * The three services as deployed on real Kafka and PostgreSQL (a database and topics of their
 * own), the gateway without API keys so a test reaches every route.
 */
export async function startMonitoringStack(): Promise<MonitoringStack> {
  const [database, topics] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter'], 1),
  ]);
  const services = new Map<ServiceName, ServiceProcess>();
  const stop = async () => {
    await Promise.allSettled([...services.values()].map((service) => service.stop()));
    await Promise.allSettled([database.drop(), topics.remove()]);
  };
  const env = {
    CELERIAC_DATABASE_URL: database.url,
    CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
    CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
    CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter as string,
    CELERIAC_SECRET_KEY: randomBytes(32).toString('base64'),
    CELERIAC_PROJECTOR_GROUP: `monitoring-${randomBytes(4).toString('hex')}`,
  };
  const [collectorOps, collectorGrpc, projectorOps, gatewayPort] = await Promise.all(
    [1, 2, 3, 4].map(() => freePort()),
  );
  const metricsTargets = {
    collector: `127.0.0.1:${collectorOps}`,
    projector: `127.0.0.1:${projectorOps}`,
    gateway: `127.0.0.1:${gatewayPort}`,
  };
  const started = await Promise.allSettled([
    startService({
      name: 'collector',
      env: {
        ...env,
        CELERIAC_COLLECTOR_OPS_PORT: String(collectorOps),
        CELERIAC_COLLECTOR_GRPC_PORT: String(collectorGrpc),
        CELERIAC_COLLECTOR_GRPC_ADVERTISE: `127.0.0.1:${collectorGrpc}`,
      },
      readyUrl: `http://${metricsTargets.collector}/readyz`,
    }),
    startService({
      name: 'projector',
      env: { ...env, CELERIAC_PROJECTOR_OPS_PORT: String(projectorOps) },
      readyUrl: `http://${metricsTargets.projector}/readyz`,
    }),
    startService({
      name: 'gateway',
      env: {
        ...env,
        CELERIAC_GATEWAY_PORT: String(gatewayPort),
        CELERIAC_GATEWAY_HOST: '127.0.0.1',
        CELERIAC_AUTH_DISABLED: 'true',
      },
      readyUrl: `http://${metricsTargets.gateway}/readyz`,
    }),
  ]);
  for (const result of started)
    if (result.status === 'fulfilled') services.set(result.value.name as ServiceName, result.value);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { databaseUrl: database.url, env, metricsTargets, services, stop };
}
