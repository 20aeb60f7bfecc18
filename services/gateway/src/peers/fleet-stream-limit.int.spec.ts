import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey } from '../testing/gateway-fixture';
import { openSse, openWs, type SseStream } from '../testing/gateway-process';
import { liveMembers, type PeerGateway, startPeerGateway } from '../testing/peer-gateways';

type Gateway = PeerGateway;

const PER_KEY = 2;

describe('a per-key stream limit across three gateway replicas (real PostgreSQL, Kafka, processes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let pool: pg.Pool;
  const gateways: Gateway[] = [];
  const closers: Array<() => void> = [];

  const startReplica = async (): Promise<Gateway> => {
    const gateway = await startPeerGateway(
      { databaseUrl: db.url, eventsTopic: topics.topics.events as string },
      { CELERIAC_GATEWAY_PEER_TTL_MS: '3000', CELERIAC_GATEWAY_STREAMS_PER_KEY: String(PER_KEY) },
    );
    gateways.push(gateway);
    return gateway;
  };
  const sse = async (gateway: Gateway, key: string, connectionId: string) => {
    const stream = await openSse(gateway.url, key, `?connectionId=${connectionId}`);
    closers.push(stream.close);
    return stream;
  };
  const at = (index: number) => gateways[index] as Gateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    topics = await createTestTopics(['events'], 3);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
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

  it('a key limited to 2 streams cannot open a third on another replica, until one of its streams ends', async () => {
    const connection = await insertConnection(pool, 'fleet-limit');
    const key = await insertKey(pool, 'viewer', [connection]);
    const other = await insertKey(pool, 'viewer', [connection]);

    const first = await sse(at(0), key, connection);
    const second = await sse(at(1), key, connection);
    expect([first.status, second.status]).toEqual([200, 200]);
    // Replica 2 holds none of the key's streams, yet the key has used its allowance.
    const third = await sse(at(2), key, connection);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(third.text).error).toMatch(/open streams for this API key .*\(limit 2\)/);
    const socket = openWs(at(2).url, key, `/ws/tasks/fleet-task?connectionId=${connection}`);
    closers.push(() => socket.ws.terminate());
    const refused = await socket.closed;
    expect(refused.code).toBe(1013);
    expect(refused.reason).toMatch(/open streams for this API key/);
    // Another key has its own allowance on the same replica.
    expect((await sse(at(2), other, connection)).status).toBe(200);

    // Once one of the key's streams ends, any replica admits one more, and only one.
    first.close();
    let admitted: SseStream | undefined;
    await waitFor('replica 2 to admit the key again', async () => {
      const again = await sse(at(2), key, connection);
      if (again.status === 200) admitted = again;
      return again.status === 200;
    });
    expect(admitted?.status).toBe(200);
    expect((await sse(at(0), key, connection)).status).toBe(429);
  });

  it('a replica killed -9 stops counting against the key once its membership expires', async () => {
    const connection = await insertConnection(pool, 'fleet-limit-kill');
    const key = await insertKey(pool, 'viewer', [connection]);
    const victim = await startReplica();
    await waitFor('four live members', async () => (await liveMembers(pool)) === 4);
    expect((await sse(victim, key, connection)).status).toBe(200);
    expect((await sse(victim, key, connection)).status).toBe(200);
    expect((await sse(at(0), key, connection)).status).toBe(429);
    victim.process.kill('SIGKILL');
    await waitFor(
      'the killed replica to stop counting',
      async () => (await sse(at(0), key, connection)).status === 200,
    );
  });
});
