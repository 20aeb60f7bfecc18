import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/free-port';
import { createTestDatabase, createTestTopics, createTestVhost } from '../harness/isolation';
import { REPO_ROOT, readStackEnv } from '../harness/stack-env';
import { type ProcessInfo, processesWithEnv } from './proc-table';
import { type PtySession, startPtySession } from './pty-session';

/** One `npm start` on a terminal of its own, beside any developer's own run. */
export interface NpmStartRun {
  readonly session: PtySession;
  readonly workDir: string;
  readonly gatewayUrl: string;
  /** Every live process this run started (the terminal's own command excluded). */
  processes(): ProcessInfo[];
  /** The pid run.sh recorded for a service. */
  recordedPid(service: string): number;
  /** Kills whatever is left (a failed run must not litter a shared machine), drops its database, vhost, topics. */
  dispose(): Promise<void>;
}

/**
 * Starts `npm start` with a work dir, database, vhost, topics, consumer group and ports of its own, on
 * the shared servers. Every process of the run inherits CELERIAC_WORK_DIR, whose value is unique to
 * the run: that finds them all, even the Celery workers, which live in sessions of their own.
 */
export async function startNpmStart(extraEnv: Record<string, string> = {}): Promise<NpmStartRun> {
  const stack = readStackEnv();
  const [database, vhost, topics] = await Promise.all([
    createTestDatabase(),
    createTestVhost(),
    createTestTopics(['events', 'deadletter']),
  ]);
  const workDir = mkdtempSync(join(tmpdir(), 'celeriac-npm-start-'));
  const [gatewayPort, grpcPort, collectorOps, projectorOps] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // Nothing of the calling npm or of the developer's CELERIAC_* settings leaks in: only what is named here.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && !name.startsWith('CELERIAC_')),
  );
  const session = await startPtySession(['npm', 'start'], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      CELERIAC_WORK_DIR: workDir,
      CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      CELERIAC_DATABASE_URL: database.url,
      CELERIAC_RABBITMQ_URL: vhost.url,
      CELERIAC_PYTHON: stack.python,
      CELERIAC_CELERY_APP_DIR: stack.celeryAppDir,
      CELERIAC_EVENTS_TOPIC: topics.topics.events,
      CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter,
      CELERIAC_PROJECTOR_GROUP: `npm-start-${randomBytes(4).toString('hex')}`,
      CELERIAC_GATEWAY_PORT: String(gatewayPort),
      CELERIAC_COLLECTOR_GRPC_PORT: String(grpcPort),
      CELERIAC_COLLECTOR_OPS_PORT: String(collectorOps),
      CELERIAC_PROJECTOR_OPS_PORT: String(projectorOps),
      CELERIAC_DEMO_WORKERS: '1',
      CELERIAC_DEMO_RATE: '5',
      npm_config_update_notifier: 'false',
      ...extraEnv,
    },
  });
  const processes = () => processesWithEnv('CELERIAC_WORK_DIR', workDir).filter((p) => p.pid !== session.pid);
  return {
    session,
    workDir,
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    processes,
    recordedPid: (service) =>
      Number(readFileSync(join(workDir, 'logs/run', `${service}.pid`), 'utf8').trim()),
    async dispose() {
      session.close();
      for (const info of processes()) process.kill(info.pid, 'SIGKILL');
      await Promise.allSettled([database.drop(), vhost.remove(), topics.remove()]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export const describeProcesses = (list: ProcessInfo[]): string =>
  list.map((p) => `${p.pid} ${p.command}`).join('\n');
