import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../harness/celeriac-services';
import { createTestDatabase, createTestTopics } from '../harness/isolation';
import type { ServiceProcess } from '../harness/service-process';
import { readStackEnv } from '../harness/stack-env';

// A database that is up but does not answer a query in time (here: a table lock another session
// holds, as a long migration or a stuck transaction would). The gateway's statement_timeout turns
// the wait into a 503 the client can retry, instead of a request (and a pool slot) held forever.
describe('gateway PostgreSQL statement timeout', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let gateway: (ServiceProcess & { url: string }) | undefined;
  let locker: pg.Client | undefined;

  beforeAll(async () => {
    const { kafkaBrokers } = readStackEnv();
    [database, topics] = await Promise.all([
      createTestDatabase(),
      createTestTopics(['events'], 1, kafkaBrokers),
    ]);
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    const { rows } = await setup
      .query<{ connection_id: string }>(
        "INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ('timeouts', '\\x00') RETURNING connection_id",
      )
      .finally(() => setup.end());
    gateway = await startGateway({
      CELERIAC_DEFAULT_CONNECTION: rows[0]?.connection_id as string,
      CELERIAC_DATABASE_URL: database.url,
      CELERIAC_KAFKA_BROKERS: kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
      CELERIAC_AUTH_DISABLED: 'true',
      CELERIAC_PG_STATEMENT_TIMEOUT_MS: '1000',
    });
  }, 120_000);

  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await gateway?.kill();
    await Promise.allSettled([database?.drop(), topics?.remove()]);
  });

  it('answers 503 JSON within the statement timeout while the tasks table is locked, and 200 after', async () => {
    const client = new pg.Client({ connectionString: database.url });
    locker = client;
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE celeriac.tasks IN ACCESS EXCLUSIVE MODE');

    const started = Date.now();
    const response = await fetch(`${gateway?.url}/api/tasks?limit=5`, {
      signal: AbortSignal.timeout(20_000),
    });
    const elapsedMs = Date.now() - started;
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await response.json()) as { error?: string }).error).toMatch(/database is unavailable/);
    expect(elapsedMs).toBeLessThan(10_000);

    await client.query('ROLLBACK');
    const after = await fetch(`${gateway?.url}/api/tasks?limit=5`);
    expect(after.status).toBe(200);
    expect(gateway?.process.exitCode).toBeNull();
  });
});
