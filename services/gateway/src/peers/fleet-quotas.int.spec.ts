import { randomUUID } from 'node:crypto';
import { controlTokenInterceptor } from '@celeriac/proto/control-auth';
import { PeersClient, type UsageReport } from '@celeriac/proto/peers';
import { TEST_CONTROL_TOKEN } from '@celeriac/tests/harness/service-process';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey } from '../testing/gateway-fixture';
import { openSse } from '../testing/gateway-process';
import { metricOf, type PeerGateway as Replica, startReplicas } from '../testing/peer-gateways';

const RATE = 10;
const BURST = 5;
const RUN_MS = 6_000;
const WAITS_PER_KEY = 2;
const STREAMS_PER_CONNECTION = 2;

describe('request rate, result waits and per-connection streams across three gateway replicas (real PostgreSQL, Kafka, processes)', () => {
  let fleet: Awaited<ReturnType<typeof startReplicas>>;
  const closers: Array<() => void> = [];
  const at = (index: number) => fleet.at(index);
  const get = (gateway: Replica, key: string, path: string, signal?: AbortSignal) =>
    fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${key}` }, signal });
  const slots = (gateway: Replica, kind: string) =>
    metricOf(`${gateway.url}/metrics`, 'celeriac_gateway_quota_slots', `kind="${kind}"`);
  /** A result wait of `key` on `gateway` for a task that never finishes: it holds its slot until aborted. */
  const holdWait = (gateway: Replica, key: string) => {
    const abort = new AbortController();
    closers.push(() => abort.abort());
    void get(gateway, key, `/api/task/result/${randomUUID()}?timeout=60`, abort.signal).catch(() => null);
    return abort;
  };
  /** A `Peers/Usage` call to a replica's peer port, as another replica (or an intruder) would make it. */
  const report = (gateway: Replica, token: string, usage: UsageReport) =>
    new Promise<grpc.status>((resolve) => {
      const client = new PeersClient(gateway.peerAddress, grpc.credentials.createInsecure(), {
        interceptors: [controlTokenInterceptor(token)],
      });
      client.usage(usage, new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (error) => {
        client.close();
        resolve(error ? error.code : grpc.status.OK);
      });
    });

  beforeAll(async () => {
    fleet = await startReplicas(3, {
      CELERIAC_GATEWAY_PEER_USAGE_MS: '200',
      CELERIAC_GATEWAY_RATE_PER_SECOND: String(RATE),
      CELERIAC_GATEWAY_RATE_BURST: String(BURST),
      CELERIAC_GATEWAY_RESULT_WAITS_PER_KEY: String(WAITS_PER_KEY),
      CELERIAC_GATEWAY_STREAMS_PER_CONNECTION: String(STREAMS_PER_CONNECTION),
    });
  });

  afterAll(async () => {
    for (const close of closers) close();
    await fleet?.close();
  });

  it(`a key limited to ${RATE} requests/s gets about that many through in total when its requests go round-robin to three replicas`, async () => {
    const key = await insertKey(fleet.pool, 'viewer', [await insertConnection(fleet.pool, 'fleet-rate')]);
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
    const connection = await insertConnection(fleet.pool, 'fleet-waits');
    const [key, other] = [
      await insertKey(fleet.pool, 'viewer', [connection]),
      await insertKey(fleet.pool, 'viewer', [connection]),
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
    const connection = await insertConnection(fleet.pool, 'fleet-connection-streams');
    const keys = await Promise.all([0, 1, 2].map(() => insertKey(fleet.pool, 'viewer', [connection])));
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

  it('Peers/Usage takes only the Control token and a whole well-formed report, and debits the key where it is sent', async () => {
    const key = await insertKey(fleet.pool, 'viewer', [await insertConnection(fleet.pool, 'fleet-usage')]);
    const { rows } = await fleet.pool.query<{ key_id: string }>(
      'SELECT key_id FROM celeriac.api_keys WHERE key_hash = sha256($1::bytea)',
      [Buffer.from(key)],
    );
    const spent = { caller: rows[0]?.key_id as string, tokens: 100 };
    expect(await report(at(0), 'not-the-control-token', { callers: [spent] })).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    // One bad entry refuses the whole report: nothing of it is debited.
    expect(await report(at(0), TEST_CONTROL_TOKEN, { callers: [spent, { caller: '', tokens: 1 }] })).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect((await get(at(0), key, '/api/task/types')).status).toBe(200);

    expect(await report(at(0), TEST_CONTROL_TOKEN, { callers: [spent] })).toBe(grpc.status.OK);
    const refused = await get(at(0), key, '/api/task/types');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: string }).error).toMatch(/Too many requests for this API key/);
    // The report went to replica 0 only; replica 1 still has the key's burst.
    expect((await get(at(1), key, '/api/task/types')).status).toBe(200);
  });

  // Last: it kills a replica.
  it('a replica killed -9 only costs failed reports: the other two keep answering and keep the rate between them', async () => {
    const key = await insertKey(fleet.pool, 'viewer', [
      await insertConnection(fleet.pool, 'fleet-usage-kill'),
    ]);
    const failed = () =>
      metricOf(`${at(0).url}/metrics`, 'celeriac_gateway_peer_usage_reports_total', 'outcome="failed"');
    const failedBefore = await failed();
    at(2).process.kill('SIGKILL');
    const counts = { admitted: 0, refused: 0, other: 0 };
    const started = Date.now();
    for (let i = 0; Date.now() - started < RUN_MS; i += 1) {
      const reply = await get(at(i % 2), key, '/api/task/types');
      counts[reply.status === 200 ? 'admitted' : reply.status === 429 ? 'refused' : 'other'] += 1;
      await reply.arrayBuffer();
    }
    const seconds = (Date.now() - started) / 1000;
    expect(counts.other).toBe(0);
    expect(counts.admitted).toBeLessThanOrEqual(RATE * seconds + 2 * BURST + 2 * RATE);
    expect(counts.refused).toBeGreaterThan(0);
    // Replica 2 is still a member until its row expires: the reports to it failed, and were counted.
    expect(await failed()).toBeGreaterThan(failedBefore);
  });
});
