import { randomUUID } from 'node:crypto';
import { startGateway } from '@celeriac/tests/harness/celeriac-services';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey } from '../testing/gateway-fixture';
import { openSse } from '../testing/gateway-process';

type Gateway = ServiceProcess & { url: string };

const RATE = 10;
const BURST = 5;
const RUN_MS = 6_000;
const WAITS_PER_KEY = 2;
const STREAMS_PER_CONNECTION = 2;

describe('request rate, result waits and per-connection streams across three gateway replicas (real PostgreSQL, Kafka, processes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let pool: pg.Pool;
  const gateways: Gateway[] = [];
  const closers: Array<() => void> = [];
  const at = (index: number) => gateways[index % 3] as Gateway;
  const get = (gateway: Gateway, key: string, path: string, signal?: AbortSignal) =>
    fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${key}` }, signal });
  /** The replica's open slots of a kind (celeriac_gateway_quota_slots). */
  const slots = async (gateway: Gateway, kind: string) => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`celeriac_gateway_quota_slots{kind="${kind}"}`));
    return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? Number.NaN);
  };
  /** A result wait of `key` on `gateway` for a task that never finishes: it holds its slot until aborted. */
  const holdWait = (gateway: Gateway, key: string) => {
    const abort = new AbortController();
    closers.push(() => abort.abort());
    void get(gateway, key, `/api/task/result/${randomUUID()}?timeout=60`, abort.signal).catch(() => null);
    return abort;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    topics = await createTestTopics(['events'], 3);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const start = async () => {
      const peerPort = await freePort();
      gateways.push(
        await startGateway({
          CELERIAC_DATABASE_URL: db.url,
          CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
          CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
          CELERIAC_GATEWAY_PEERS_ENABLED: 'true',
          CELERIAC_GATEWAY_PEER_HOST: '127.0.0.1',
          CELERIAC_GATEWAY_PEER_PORT: String(peerPort),
          CELERIAC_GATEWAY_PEER_ADDRESS: `127.0.0.1:${peerPort}`,
          CELERIAC_GATEWAY_PEER_RENEW_MS: '500',
          CELERIAC_GATEWAY_PEER_USAGE_MS: '200',
          CELERIAC_GATEWAY_RATE_PER_SECOND: String(RATE),
          CELERIAC_GATEWAY_RATE_BURST: String(BURST),
          CELERIAC_GATEWAY_RESULT_WAITS_PER_KEY: String(WAITS_PER_KEY),
          CELERIAC_GATEWAY_STREAMS_PER_CONNECTION: String(STREAMS_PER_CONNECTION),
        }),
      );
    };
    await Promise.all([start(), start(), start()]);
    await waitFor(
      'three live members',
      async () =>
        (await pool.query('SELECT 1 FROM celeriac.gateway_members WHERE expires_at > now()')).rowCount === 3,
    );
  });

  afterAll(async () => {
    for (const close of closers) close();
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    await pool?.end();
    await topics?.remove();
    await db?.drop();
  });

  it(`a key limited to ${RATE} requests/s gets about that many through in total when its requests go round-robin to three replicas`, async () => {
    const key = await insertKey(pool, 'viewer', [await insertConnection(pool, 'fleet-rate')]);
    const counts = { admitted: 0, refused: 0, other: 0 };
    const started = Date.now();
    // Three clients at once, each going round the replicas, as fast as the replicas answer.
    await Promise.all(
      [0, 1, 2].map(async (first) => {
        for (let i = first; Date.now() - started < RUN_MS; i += 1) {
          const reply = await get(at(i), key, '/api/task/types');
          if (reply.status === 200) counts.admitted += 1;
          else if (reply.status === 429 && /Too many requests/.test(await reply.text())) counts.refused += 1;
          else counts.other += 1;
          if (!reply.bodyUsed) await reply.arrayBuffer();
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(counts.other).toBe(0);
    // Per replica, the key would get RATE·t + BURST on each of the three (3·RATE·t + 3·BURST in all).
    // Across the fleet: RATE·t, the three replicas' initial bursts, and what one report's delay lets by.
    expect(counts.admitted).toBeLessThanOrEqual(RATE * seconds + 3 * BURST + 2 * RATE);
    expect(counts.admitted).toBeGreaterThanOrEqual(RATE * seconds * 0.5);
    expect(counts.refused).toBeGreaterThan(counts.admitted);
  });

  it(`a key's result wait past its limit of ${WAITS_PER_KEY} is refused on a replica that holds none of its waits`, async () => {
    const connection = await insertConnection(pool, 'fleet-waits');
    const [key, other] = [
      await insertKey(pool, 'viewer', [connection]),
      await insertKey(pool, 'viewer', [connection]),
    ];
    const first = holdWait(at(0), key);
    await waitFor('replica 0 to hold the wait', async () => (await slots(at(0), 'result-wait')) === 1);
    holdWait(at(1), key);
    await waitFor('replica 1 to hold the wait', async () => (await slots(at(1), 'result-wait')) === 1);

    // Without the fleet-wide count this would be admitted and answer PENDING after 5 s.
    const refused = await get(at(2), key, `/api/task/result/${randomUUID()}?timeout=5`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /result waits for this API key across the gateway replicas \(limit 2\)/,
    );
    // Another key has its own allowance on the same replica.
    expect((await get(at(2), other, `/api/task/result/${randomUUID()}?timeout=0.01`)).status).toBe(200);

    // Once a waiting client leaves, replica 2 admits the key again (a short wait, answered PENDING).
    first.abort();
    await waitFor(
      'replica 2 to admit a wait of the key',
      async () => (await get(at(2), key, `/api/task/result/${randomUUID()}?timeout=0.01`)).status === 200,
    );
  });

  it(`a connection's stream past its limit of ${STREAMS_PER_CONNECTION} is refused on a replica that holds none of them, whatever the key`, async () => {
    const connection = await insertConnection(pool, 'fleet-connection-streams');
    const keys = await Promise.all([0, 1, 2].map(() => insertKey(pool, 'viewer', [connection])));
    const sse = async (index: number) => {
      const stream = await openSse(at(index).url, keys[index] as string, `?connectionId=${connection}`);
      closers.push(stream.close);
      return stream;
    };
    const first = await sse(0);
    expect([first.status, (await sse(1)).status]).toEqual([200, 200]);
    const third = await sse(2);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(third.text).error).toMatch(
      /open streams for this connection across the gateway replicas \(limit 2\)/,
    );
    first.close();
    await waitFor('replica 2 to admit a stream of the connection', async () => (await sse(2)).status === 200);
  });
});
