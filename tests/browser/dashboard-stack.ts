import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { adminCli, stackServiceEnv } from '../harness/admin-cli';
import { startCollector, startGateway, startProjector } from '../harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from '../harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from '../harness/isolation';
import type { ServiceProcess } from '../harness/service-process';
import { REPO_ROOT, readStackEnv } from '../harness/stack-env';

const run = promisify(execFile);
export const DASHBOARD_DIST = join(REPO_ROOT, 'services/dashboard/dist');

export interface Tenant {
  name: string;
  connectionId: string;
  brokerUrl: string;
  worker: CeleryWorker;
}

/**
 * The product as deployed for the browser tests: collector, projector and gateway processes on a
 * database, topics and two RabbitMQ vhosts of their own; connection A and connection B, each with a real
 * Celery worker, and keys made with the admin CLI.
 */
export interface DashboardStack {
  gateway: string;
  a: Tenant;
  b: Tenant;
  /** Creates a key with the admin CLI; returns the secret. */
  createKey(name: string, role: 'viewer' | 'operator' | 'admin', connections: string[]): Promise<string>;
  /**
   * Stops the gateway (SIGTERM, as a rolling update does), runs `whileDown`, and starts the gateway
   * again at the same address; `listening` resolves before it is ready (a dependency is down).
   */
  restartGateway(options?: {
    whileDown?: () => Promise<unknown>;
    waitUntil?: 'ready' | 'listening';
  }): Promise<void>;
  /** Sends a task like any Celery client does (app.send_task); returns its id. */
  sendTask(tenant: Tenant, name: string, args: unknown[]): Promise<string>;
  stop(): Promise<void>;
}

function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newestSource(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  );
}

/** `npm test` builds the dashboard first; a single file run builds it here when missing or older than its sources. */
async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DASHBOARD_DIST, 'index.html');
  const sources = join(REPO_ROOT, 'services/dashboard/src');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource(sources)) return;
  await run('npm', ['run', 'build', '-w', '@celeriac/dashboard'], { cwd: REPO_ROOT, timeout: 300_000 });
}

/** `gatewayEnv` is added to the gateway's environment (a test's own stream settings). */
export async function startDashboardStack(gatewayEnv: Record<string, string> = {}): Promise<DashboardStack> {
  await ensureDashboardBuilt();
  const stack = readStackEnv();
  const [database, topics, vhostA, vhostB] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter']),
    createTestVhost(),
    createTestVhost(),
  ]);
  const env = {
    ...stackServiceEnv({
      databaseUrl: database.url,
      topics: topics.topics,
      kafkaBrokers: stack.kafkaBrokers,
    }),
    CELERIAC_GATEWAY_DASHBOARD_DIR: DASHBOARD_DIST,
  };
  const admin = adminCli(env);
  const [idA, idB] = [
    await admin.addConnection('alpha', vhostA.url),
    await admin.addConnection('bravo', vhostB.url),
  ];

  const services: ServiceProcess[] = [];
  const workers: CeleryWorker[] = [];
  const stop = async () => {
    await Promise.allSettled(workers.map((worker) => worker.stop()));
    await Promise.allSettled(services.map((service) => service.stop()));
    await Promise.allSettled([database.drop(), topics.remove(), vhostA.remove(), vhostB.remove()]);
  };
  try {
    const [collector, projector, gateway] = await Promise.all([
      startCollector(env),
      startProjector(env),
      startGateway({ ...env, ...gatewayEnv }),
    ]);
    services.push(collector, projector, gateway);
    const port = Number(new URL(gateway.url).port);
    const [workerA, workerB] = await Promise.all([
      startCeleryWorker({ brokerUrl: vhostA.url, name: 'alpha' }),
      startCeleryWorker({ brokerUrl: vhostB.url, name: 'bravo' }),
    ]);
    workers.push(workerA, workerB);
    return {
      gateway: gateway.url,
      a: { name: 'alpha', connectionId: idA, brokerUrl: vhostA.url, worker: workerA },
      b: { name: 'bravo', connectionId: idB, brokerUrl: vhostB.url, worker: workerB },
      createKey: (name, role, connections) => admin.createKey(name, role, connections),
      async restartGateway(options = {}) {
        const running = services.pop() as ServiceProcess;
        await running.stop();
        await options.whileDown?.();
        services.push(await startGateway({ ...env, ...gatewayEnv }, { port, waitUntil: options.waitUntil }));
      },
      async sendTask(tenant, name, args) {
        const script =
          'import json,sys\nfrom demo_app import app\nprint(app.send_task(sys.argv[1], args=json.loads(sys.argv[2])).id)';
        const { stdout } = await run(stack.python, ['-c', script, name, JSON.stringify(args)], {
          cwd: stack.celeryAppDir,
          env: { ...process.env, CELERY_BROKER_URL: tenant.brokerUrl, CELERY_RESULT_BACKEND: '' },
          timeout: 60_000,
        });
        return stdout.trim();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
