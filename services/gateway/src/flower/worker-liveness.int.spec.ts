import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';

// The gateway judges liveness with the one rule of @celeriac/celery-domain: a worker whose events
// never carried a heartbeat interval gets Celery's 60 s, so it stays alive for 120 s, not 4 s.
let gw: TestGateway;
let key: string;

/** A worker last heard of `ago` seconds before now, with the given freq (null: never reported). */
async function seedWorker(connectionId: string, hostname: string, freq: number | null, ago: number) {
  await gw.pool.query(
    `INSERT INTO celeriac.workers (connection_id, hostname, freq, online, first_seen_at, last_heartbeat,
       last_heartbeat_at)
     VALUES ($1, $2, $3, true, now() - interval '1 hour', extract(epoch FROM now()) - $4::float8,
       now() - make_interval(secs => $4::float8))`,
    [connectionId, hostname, freq, ago],
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
  const connection = await insertConnection(gw.pool, 'liveness');
  await seedWorker(connection, 'celery@no-freq-recent', null, 30);
  await seedWorker(connection, 'celery@no-freq-gone', null, 300);
  await seedWorker(connection, 'celery@freq-2-gone', 2, 30);
  key = await insertKey(gw.pool, 'viewer', [connection]);
});
afterAll(async () => {
  await gw?.close();
});

describe('worker liveness on the Flower and v1 APIs', () => {
  it('keeps a worker without a reported freq alive for 2 x 60 s after its last event', async () => {
    const flower = await gw.request('GET', '/api/workers?status=1', { key });
    expect(flower.status).toBe(200);
    expect(flower.json).toEqual({
      'celery@no-freq-recent': true,
      'celery@no-freq-gone': false,
      'celery@freq-2-gone': false,
    });
    const v1 = await gw.request('GET', '/api/v1/workers', { key });
    const alive = v1.json.items
      .filter((item: { alive: boolean }) => item.alive)
      .map((item: { hostname: string }) => item.hostname);
    expect(alive).toEqual(['celery@no-freq-recent']);
  });
});
