import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import { TEST_CONTROL_TOKEN } from '@celeriac/tests/harness/service-process';
import pg from 'pg';
import { Registry } from 'prom-client';
import { generateApiKey } from '../auth/api-keys';
import type { Role } from '../auth/principal';
import { createSignInLimiter } from '../auth/sign-in-limiter';
import { createGatewayApi } from '../gateway-api';
import { createApp } from '../http/app';
import { createHttpServer } from '../http/server';

export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests probe reply bodies field by field
  json: any;
}

/**
 * A real gateway (express app on an ephemeral port) over a fresh, migrated PostgreSQL database, for
 * integration tests. Rows are written straight into the read models, standing in for the projector.
 */
export async function startTestGateway(
  options: { authDisabled?: boolean; applyTimeoutSeconds?: number; databaseUrl?: string } = {},
) {
  // A given database belongs to the caller (shared with a collector/projector); otherwise one of our own.
  const db = options.databaseUrl ? undefined : await createTestDatabase();
  const pool = new pg.Pool({ connectionString: options.databaseUrl ?? db?.url, max: 5 });
  pool.on('error', () => {});
  const registry = new Registry();
  const api = createGatewayApi({
    pool,
    logger: silentLogger,
    controlToken: TEST_CONTROL_TOKEN,
    authDisabled: options.authDisabled ?? false,
    sealBrokerUrl: createSecretBox(TEST_SECRET_KEY).seal,
    maxPageSize: 1_000,
    keyCacheTtlMs: 0,
  });
  const app = createApp({
    deps: api.deps,
    authenticator: api.authenticator,
    registry,
    readiness: { notReadyReason: () => null },
    applyTimeoutSeconds: options.applyTimeoutSeconds ?? 30,
    sessions: {
      ...api.sessions,
      ttlSeconds: 3_600,
      limiter: createSignInLimiter({ maxFailures: 10, windowMs: 60_000, maxAddresses: 100, now: Date.now }),
    },
  });
  const server = createHttpServer({ app, port: 0, host: '127.0.0.1', logger: silentLogger });
  await server.start();
  const base = `http://127.0.0.1:${server.port}`;

  async function request(
    method: string,
    path: string,
    init: {
      key?: string;
      form?: Record<string, string>;
      body?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    let body: string | undefined = init.body;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(`${base}${path}`, { method, headers, body });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  return {
    base,
    pool,
    api,
    request,
    async close() {
      await server.stop();
      api.control.close();
      await pool.end();
      await db?.drop();
    },
  };
}

export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;

export async function insertConnection(pool: pg.Pool, name: string): Promise<string> {
  const sealed = createSecretBox(TEST_SECRET_KEY).seal('amqp://guest:guest@127.0.0.1:5672//');
  const { rows } = await pool.query<{ connection_id: string }>(
    'INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ($1, $2) RETURNING connection_id',
    [name, sealed],
  );
  return (rows[0] as { connection_id: string }).connection_id;
}

export async function insertKey(pool: pg.Pool, role: Role, connectionIds: string[] | 'all'): Promise<string> {
  const key = generateApiKey();
  await pool.query(
    `INSERT INTO celeriac.api_keys (name, key_prefix, key_hash, role, all_connections, connection_ids)
     VALUES ($1, $2, $3, $4, $5, $6::uuid[])`,
    [
      `test-${role}`,
      key.prefix,
      key.hash,
      role,
      connectionIds === 'all',
      connectionIds === 'all' ? [] : connectionIds,
    ],
  );
  return key.key;
}
