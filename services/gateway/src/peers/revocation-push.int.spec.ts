import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey } from '../testing/gateway-fixture';
import { openSse, openWs } from '../testing/gateway-process';
import { liveMembers, metricOf, type PeerGateway, startPeerGateway } from '../testing/peer-gateways';

type Gateway = PeerGateway;

// The periodic recheck runs every 15 s (the default): a stream that ends within a second on every
// replica was ended by the pushed notice, not by its own replica's next tick.
const HEARTBEAT_MS = 15_000;
const PUSH_WITHIN_MS = 1_000;

describe('revocation pushed to every gateway replica (real PostgreSQL, Kafka, three processes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let pool: pg.Pool;
  let admin: string;
  const gateways: Gateway[] = [];
  const closers: Array<() => void> = [];

  const startReplica = async (): Promise<Gateway> => {
    const gateway = await startPeerGateway(
      { databaseUrl: db.url, eventsTopic: topics.topics.events as string },
      { CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    );
    gateways.push(gateway);
    return gateway;
  };
  const keyOf = async (connections: string[]) => {
    const key = await insertKey(pool, 'viewer', connections);
    const { rows } = await pool.query<{ key_id: string }>(
      'SELECT key_id FROM celeriac.api_keys WHERE key_hash = sha256($1::bytea)',
      [Buffer.from(key)],
    );
    return { key, keyId: rows[0]?.key_id as string };
  };
  const wsClients = (gateway: Gateway) =>
    metricOf(`${gateway.url}/metrics`, 'celeriac_gateway_stream_clients', 'stream="ws"');

  /** On every replica, one SSE and one WS stream of `key`; resolves with when each one ended. */
  const openEverywhere = async (key: string, connectionId: string) => {
    const before = await Promise.all(gateways.map(wsClients));
    const opened = await Promise.all(
      gateways.map(async (gateway) => {
        const sse = await openSse(gateway.url, key, `?connectionId=${connectionId}`);
        expect(sse.status).toBe(200);
        const ws = openWs(gateway.url, key, `/ws/tasks/revocation-task?connectionId=${connectionId}`);
        closers.push(sse.close, () => ws.ws.terminate());
        return { sse, ws };
      }),
    );
    await waitFor('every stream admitted', async () => {
      const now = await Promise.all(gateways.map(wsClients));
      return opened.every(({ sse }, at) => sse.text.length > 0 && (now[at] ?? 0) > (before[at] ?? 0));
    });
    return opened.flatMap(({ sse, ws }) => [
      sse.ended.then(() => ({ at: Date.now(), text: sse.text })),
      ws.closed.then((closed) => ({ at: closed.at, text: `${closed.code} ${closed.reason}` })),
    ]);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    topics = await createTestTopics(['events'], 3);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    admin = await insertKey(pool, 'admin', 'all');
    await Promise.all([startReplica(), startReplica(), startReplica()]);
    await waitFor('three live members', async () => (await liveMembers(pool)) === 3);
  });

  afterAll(async () => {
    for (const close of closers) close();
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    await pool?.end();
    await topics?.remove();
    await db?.drop();
  });

  const expectEndedWithin = async (ends: Promise<{ at: number; text: string }>[], from: number) => {
    const ended = await Promise.all(ends);
    const delays = ended.map((end) => end.at - from);
    console.info(`streams ended ${delays.join(', ')} ms after the request (6 streams, 3 replicas)`);
    for (const end of ended) expect(end.text).toMatch(/"reason":"revoked"|^1008 revoked$/m);
    expect(Math.max(...delays)).toBeLessThan(PUSH_WITHIN_MS);
  };

  it("a key revoked on one replica ends that key's SSE and WS streams on all three within a second", async () => {
    const connection = await insertConnection(pool, 'revoked-everywhere');
    const victim = await keyOf([connection]);
    const bystander = await keyOf([connection]);
    const ends = await openEverywhere(victim.key, connection);
    const kept = await openSse(gateways[1]?.url as string, bystander.key, `?connectionId=${connection}`);
    closers.push(kept.close);
    expect(kept.status).toBe(200);

    const from = Date.now();
    const revoked = await fetch(`${gateways[0]?.url}/api/v1/keys/${victim.keyId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoked.status).toBeLessThan(300);
    await expectEndedWithin(ends, from);
    // Another key of the same connection keeps its stream.
    expect(kept.text).not.toContain('disconnect');
  });

  it('a connection deleted on one replica ends its streams on all three within a second', async () => {
    const connection = await insertConnection(pool, 'deleted-everywhere');
    const viewer = await keyOf([connection]);
    const ends = await openEverywhere(viewer.key, connection);

    const from = Date.now();
    const deleted = await fetch(`${gateways[2]?.url}/api/v1/connections/${connection}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(deleted.status).toBeLessThan(300);
    await expectEndedWithin(ends, from);
  });
});
