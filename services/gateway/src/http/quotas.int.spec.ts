import { randomUUID } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { startCollector } from '@celeriac/tests/harness/celeriac-services';
import { createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, TEST_SECRET_KEY } from '../testing/gateway-fixture';
import { type GatewayProcess, startGatewayProcess } from '../testing/gateway-process';
import { insertTask, insertTaskEvent } from '../testing/read-model-rows';

// A real gateway process (main.ts, configured by environment) on real PostgreSQL and Kafka, with a real
// collector for live worker refreshes: request rate, result waits and refreshes per key and connection.
let gw: GatewayProcess;
let collector: ServiceProcess | undefined;
let cleanups: Array<() => Promise<void>> = [];

const call = (key: string, path: string, init: RequestInit = {}) =>
  fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}` } });
const statusOf = async (reply: Promise<Response>) => (await reply).status;

beforeAll(async () => {
  gw = await startGatewayProcess({
    CELERIAC_GATEWAY_RATE_PER_SECOND: '0.1',
    CELERIAC_GATEWAY_RATE_BURST: '8',
    CELERIAC_GATEWAY_RESULT_WAITS_PER_KEY: '2',
    CELERIAC_GATEWAY_RESULT_WAITS_PER_CONNECTION: '3',
    CELERIAC_GATEWAY_REFRESHES_PER_KEY: '1',
    CELERIAC_GATEWAY_REFRESHES_PER_CONNECTION: '2',
  });
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  for (const cleanup of cleanups) await cleanup();
  cleanups = [];
  await gw?.close();
});

describe('worker refreshes per key', () => {
  it('refuses a second running refresh of a key, not of another key, and accepts once it ended', async () => {
    const [topics, vhost] = await Promise.all([createTestTopics(['deadletter']), createTestVhost()]);
    cleanups.push(
      () => topics.remove(),
      () => vhost.remove(),
    );
    const { rows } = await gw.pool.query<{ connection_id: string }>(
      'INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ($1, $2) RETURNING connection_id',
      ['refresh', createSecretBox(TEST_SECRET_KEY).seal(vhost.url)],
    );
    const connection = rows[0]?.connection_id as string;
    collector = await startCollector({
      CELERIAC_DATABASE_URL: gw.databaseUrl,
      CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: gw.topic,
      CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter as string,
      CELERIAC_SECRET_KEY: TEST_SECRET_KEY,
    });
    await waitFor(
      'the collector to hold the lease',
      async () =>
        (await gw.pool.query('SELECT 1 FROM celeriac.connection_leases WHERE expires_at > now()'))
          .rowCount === 1,
      { timeoutMs: 60_000 },
    );
    const [first, second] = [await gw.key('viewer', [connection]), await gw.key('viewer', [connection])];
    // With no worker to answer, a live refresh waits out the inspect reply window (about a second).
    const both = await Promise.all([
      statusOf(call(first.key, '/api/workers?refresh=1')),
      statusOf(call(first.key, '/api/workers?refresh=1')),
      statusOf(call(second.key, '/api/workers?refresh=1')),
    ]);
    expect(both.slice(0, 2).sort()).toEqual([200, 429]);
    expect(both[2]).toBe(200);
    // A list without refresh holds nothing; once the refresh ended the key may refresh again.
    expect(await statusOf(call(first.key, '/api/workers'))).toBe(200);
    expect(await statusOf(call(first.key, '/api/workers?refresh=1'))).toBe(200);
    // Later tests add connections this collector would lease too.
    await collector.stop();
    collector = undefined;
  });
});

describe('request rate per key', () => {
  it('refuses past the burst with 429 + Retry-After, leaves other keys alone, and refills', async () => {
    const connection = await insertConnection(gw.pool, 'rate');
    const { key } = await gw.key('viewer', [connection]);
    const other = await gw.key('viewer', [connection]);
    for (let i = 0; i < 8; i += 1) expect(await statusOf(call(key, '/api/task/types'))).toBe(200);
    const refused = await call(key, '/api/task/types');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: string }).error).toMatch(/Too many requests for this API key/);
    expect(await statusOf(call(other.key, '/api/task/types'))).toBe(200);
    expect(await gw.metric('celeriac_gateway_quota_refusals_total', 'kind="rate"')).toBeGreaterThanOrEqual(1);
    await waitFor(
      'a token to come back',
      async () => (await statusOf(call(key, '/api/task/types'))) === 200,
      {
        timeoutMs: 15_000,
        intervalMs: 500,
      },
    );
  });
});

describe('result waits per key and per connection', () => {
  it('refuses the third wait of a key, not another key, and accepts once a waiting client leaves', async () => {
    const connection = await insertConnection(gw.pool, 'waits');
    const [first, second] = [await gw.key('viewer', [connection]), await gw.key('viewer', [connection])];
    const elsewhere = await gw.key('viewer', [await insertConnection(gw.pool, 'waits-elsewhere')]);
    // Unknown tasks stay PENDING, so each of these waits its whole timeout.
    const waits = [new AbortController(), new AbortController(), new AbortController()];
    const replies = waits.map((abort) =>
      call(first.key, `/api/task/result/${randomUUID()}?timeout=60`, { signal: abort.signal }).catch(
        () => null,
      ),
    );
    const refused = (await Promise.race(replies)) as Response;
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /result waits for this API key \(limit 2\)/,
    );
    // The other key of the connection may wait (the connection's third), a fourth may not.
    const secondWait = new AbortController();
    const secondReply = call(second.key, `/api/task/result/${randomUUID()}?timeout=60`, {
      signal: secondWait.signal,
    }).catch(() => null);
    // Once that wait is admitted the connection is full. Waited on through the slots gauge: probing with
    // requests would spend the key's request rate and, on a slow machine, end in a rate refusal.
    await waitFor(
      "the other key's wait to be admitted",
      async () => (await gw.metric('celeriac_gateway_quota_slots', 'kind="result-wait"')) === 3,
      { intervalMs: 200 },
    );
    const connectionFull = await call(second.key, `/api/task/result/${randomUUID()}?timeout=0.01`);
    expect(connectionFull.status).toBe(429);
    expect(((await connectionFull.json()) as { error: string }).error).toMatch(
      /for this connection \(limit 3\)/,
    );
    // Another connection is not affected.
    expect(await statusOf(call(elsewhere.key, `/api/task/result/${randomUUID()}?timeout=0.2`))).toBe(200);
    // A waiting client leaves: its slot is free again.
    for (const abort of waits) abort.abort();
    secondWait.abort();
    await Promise.all([...replies, secondReply]);
    await waitFor(
      'the key to wait again',
      async () => (await statusOf(call(first.key, `/api/task/result/${randomUUID()}?timeout=0.2`))) === 200,
      { intervalMs: 300 },
    );
  });
});

describe('/api/tasks byte budget', () => {
  it('serves tasks with multi-megabyte results within the budget, cutting the fields past it', async () => {
    const connection = await insertConnection(gw.pool, 'big-results');
    const { key } = await gw.key('viewer', [connection]);
    const size = 3 * 1024 * 1024;
    const uuids: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const uuid = `big-${i}`;
      uuids.push(uuid);
      await insertTask(gw.pool, connection, {
        uuid,
        name: 'tasks.big',
        state: 'SUCCESS',
        timestamp: 1_700_000_000 + i,
        result: `'${String(i).repeat(size)}'`,
      });
    }
    const reply = await call(key, '/api/tasks');
    expect(reply.status).toBe(200);
    const body = await reply.text();
    // The default budget is 16 MiB of free-form text; each cut task adds about a kilobyte.
    expect(body.length).toBeLessThan(16 * 1024 * 1024 + 64 * 1024);
    const tasks = JSON.parse(body) as Record<string, { result: string }>;
    expect(Object.keys(tasks)).toHaveLength(10);
    const whole = Object.values(tasks).filter((task) => task.result.length === size + 2);
    const cut = Object.values(tasks).filter((task) =>
      task.result.endsWith(`[truncated by Celeriac: ${size + 2} bytes]`),
    );
    expect(whole).toHaveLength(5);
    expect(cut).toHaveLength(5);
    // Newest first: the first five in page order are the whole ones.
    expect(Object.keys(tasks).slice(0, 5)).toEqual(uuids.slice(5).reverse());
    // One task's own page still has all of it.
    const info = await call(key, '/api/task/info/big-0');
    expect(((await info.json()) as { result: string }).result.length).toBe(size + 2);
    const v1 = await call(key, '/api/v1/tasks?limit=10');
    expect(v1.status).toBe(200);
    expect((await v1.text()).length).toBeLessThan(16 * 1024 * 1024 + 64 * 1024);
    // The events of one task are held to the same budget.
    await insertTaskEvent(gw.pool, connection, {
      eventId: 'big-0-sent',
      taskUuid: 'big-0',
      type: 'task-sent',
      offset: 1,
      timestamp: 1_700_000_000,
    });
    for (let offset = 2; offset < 10; offset += 1)
      await gw.pool.query(
        `INSERT INTO celeriac.task_events (connection_id, event_id, task_uuid, type, hostname, "timestamp",
           received_at, kafka_partition, kafka_offset, fields)
         VALUES ($1, $2, 'big-0', 'task-succeeded', 'celery@w1', 1700000000, now(), 0, $3, $4)`,
        [connection, `big-0-${offset}`, offset, JSON.stringify({ result: 'r'.repeat(size) })],
      );
    const events = await call(key, '/api/v1/tasks/big-0/events?limit=100');
    expect(events.status).toBe(200);
    const eventsBody = await events.text();
    expect(eventsBody.length).toBeLessThan(16 * 1024 * 1024 + 64 * 1024);
    const items = (JSON.parse(eventsBody) as { items: Array<{ fields: { result?: string } }> }).items;
    expect(items).toHaveLength(9);
    expect(items.filter((item) => item.fields.result?.length === size)).toHaveLength(5);
    expect(
      items.filter((item) => item.fields.result?.endsWith(`[truncated by Celeriac: ${size} bytes]`)),
    ).toHaveLength(3);
  });
});
