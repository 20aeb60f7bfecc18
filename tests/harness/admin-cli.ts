import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { REPO_ROOT, readStackEnv } from './stack-env';

const run = promisify(execFile);

/**
 * What every Celeriac service of a test stack is told: its database, the Kafka brokers (the shared
 * ones unless given), its topics, and a fresh key sealing the broker URLs. Spread it first, then a
 * test's own settings.
 */
export function stackServiceEnv(options: {
  databaseUrl: string;
  topics: { events?: string; deadletter?: string };
  kafkaBrokers?: readonly string[];
  secretKey?: string;
}) {
  return {
    CELERIAC_DATABASE_URL: options.databaseUrl,
    CELERIAC_KAFKA_BROKERS: (options.kafkaBrokers ?? readStackEnv().kafkaBrokers).join(','),
    CELERIAC_EVENTS_TOPIC: options.topics.events as string,
    CELERIAC_DEAD_LETTER_TOPIC: options.topics.deadletter as string,
    CELERIAC_SECRET_KEY: options.secretKey ?? randomBytes(32).toString('base64'),
  };
}

/**
 * The gateway's admin CLI as an operator runs it (`services/gateway/src/cli/admin.ts`), against the
 * database and secret key of `env`: connections and keys are made the way a user makes them.
 */
export function adminCli(env: Record<string, string>) {
  const admin = async (...args: string[]): Promise<string> =>
    (
      await run(process.execPath, ['--import', 'tsx', 'services/gateway/src/cli/admin.ts', ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
      })
    ).stdout;
  return {
    run: admin,
    async addConnection(name: string, brokerUrl: string): Promise<string> {
      const added = await admin('connections', 'add', '--name', name, '--broker-url', brokerUrl);
      return (JSON.parse(added) as { connectionId: string }).connectionId;
    },
    /** A key of `role` for the connections given (or `'all'`); the secret the CLI shows once. */
    async createKey(name: string, role: string, connections: string[] | 'all'): Promise<string> {
      const scope = connections === 'all' ? ['--all'] : ['--connections', connections.join(',')];
      const created = await admin('keys', 'create', '--name', name, '--role', role, ...scope);
      const key = /key \(shown once, store it now\): (\S+)/.exec(created)?.[1];
      if (!key) throw new Error(`no key in the admin CLI output: ${created}`);
      return key;
    },
  };
}

/** What a JSON API call answered: its status and its parsed body. */
export type JsonApi = (
  path: string,
  init?: RequestInit,
) => Promise<{ status: number; body: Record<string, unknown> }>;

/** Calls `base`'s API with `key`, as a script would, and parses the JSON answer. */
export function jsonApi(base: string, key: string): JsonApi {
  return async (path, init = {}) => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}
