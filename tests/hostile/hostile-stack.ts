import { randomBytes } from 'node:crypto';
import { adminCli, stackServiceEnv } from '../harness/admin-cli';
import { type CeleryWorker, startCeleryWorker } from '../harness/celery-worker';
import { freePort } from '../harness/free-port';
import { createTestDatabase, createTestTopics, createTestVhost } from '../harness/isolation';
import { type ServiceProcess, startService } from '../harness/service-process';
import type { ServiceTarget } from './gateway-watch';
import type { SuiteKeys } from './request-auth';

export interface RunningService extends ServiceTarget {
  process(): ServiceProcess;
  /** Restarts so far, each with the end of the log of the process it replaced. */
  readonly restarts: { at: string; log: string }[];
  stop(): Promise<void>;
}

type Name = 'collector' | 'projector' | 'gateway';

/** A service as deployed on fixed ports, so a restart (what k8s would do) keeps its URL. */
async function runService(name: Name, env: Record<string, string>, port: number): Promise<RunningService> {
  const url = `http://127.0.0.1:${port}`;
  const start = () => startService({ name, env, readyUrl: `${url}/readyz`, timeoutMs: 90_000 });
  let current = await start();
  const restarts: { at: string; log: string }[] = [];
  return {
    name,
    restarts,
    url: () => url,
    process: () => current,
    exited: () => current.process.exitCode !== null || current.process.signalCode !== null,
    logTail: () => current.output().slice(-4_000),
    async restart(whileDown) {
      restarts.push({ at: new Date().toISOString(), log: current.output().slice(-4_000) });
      await current.kill();
      await whileDown?.();
      current = await start();
    },
    async stop() {
      await current.stop();
    },
  };
}

export interface HostileStack {
  connectionId: string;
  keys: SuiteKeys;
  brokerUrl: string;
  vhost: string;
  gateway: RunningService;
  collector: RunningService;
  projector: RunningService;
  worker: CeleryWorker;
  stop(): Promise<void>;
}

/**
 * Collector, projector and gateway as deployed on a database, topics and a RabbitMQ vhost of their
 * own, one connection, a key of every role for it (and an all-connections admin key), and a real
 * Celery worker on the connection's broker.
 */
export async function startHostileStack(): Promise<HostileStack> {
  const [database, topics, vhost] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter']),
    createTestVhost(),
  ]);
  const env = stackServiceEnv({ databaseUrl: database.url, topics: topics.topics });
  const admin = adminCli(env);
  const connectionId = await admin.addConnection('hostile', vhost.url);
  const createKey = (role: string, scope: string[] | 'all') =>
    admin.createKey(`hostile-${role}-${scope.length}`, role, scope);
  const [viewer, operator, support, adminKey, adminAll] = await Promise.all([
    createKey('viewer', [connectionId]),
    createKey('operator', [connectionId]),
    createKey('support', [connectionId]),
    createKey('admin', [connectionId]),
    createKey('admin', 'all'),
  ]);

  const [opsCollector, grpcPort, opsProjector, gatewayPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const [collector, projector, gateway] = await Promise.all([
    runService(
      'collector',
      {
        ...env,
        CELERIAC_COLLECTOR_OPS_PORT: String(opsCollector),
        CELERIAC_COLLECTOR_GRPC_PORT: String(grpcPort),
        CELERIAC_COLLECTOR_GRPC_ADVERTISE: `127.0.0.1:${grpcPort}`,
      },
      opsCollector,
    ),
    runService(
      'projector',
      {
        ...env,
        CELERIAC_PROJECTOR_OPS_PORT: String(opsProjector),
        CELERIAC_PROJECTOR_GROUP: `hostile-${randomBytes(4).toString('hex')}`,
      },
      opsProjector,
    ),
    runService(
      'gateway',
      {
        ...env,
        CELERIAC_GATEWAY_PORT: String(gatewayPort),
        CELERIAC_GATEWAY_HOST: '127.0.0.1',
        // Valid apply requests hold a client for this long; the attack is about input, not about waiting.
        CELERIAC_GATEWAY_APPLY_TIMEOUT_SECONDS: '1',
        // Every generated request must reach the route's own validation, not stop at the per-key
        // rate limit (a 429, tested on its own in quotas.int).
        CELERIAC_GATEWAY_RATE_PER_SECOND: '0',
      },
      gatewayPort,
    ),
  ]);
  // Without gossip: Celery 5.5's gossip consumer reads every `worker.#` message on celeryev, and a
  // hostile event there (absurd timestamp) kills the worker itself (OverflowError in its event state)
  // before Celeriac is involved. The suite attacks Celeriac; it keeps the real worker out of that.
  const worker = await startCeleryWorker({
    brokerUrl: vhost.url,
    name: 'hostile',
    concurrency: 2,
    extraArgs: ['--without-gossip'],
  });
  return {
    connectionId,
    keys: { viewer, operator, support, admin: adminKey, adminAll },
    brokerUrl: vhost.url,
    vhost: vhost.vhost,
    gateway,
    collector,
    projector,
    worker,
    async stop() {
      await worker.stop();
      await Promise.allSettled([gateway.stop(), collector.stop(), projector.stop()]);
      await Promise.allSettled([database.drop(), topics.remove(), vhost.remove()]);
    },
  };
}
