import { randomUUID } from 'node:crypto';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection } from '../testing/gateway-fixture';
import {
  type GatewayProcess,
  markProjected,
  openWs,
  type SseStream,
  startGatewayProcess,
  streamClients,
} from '../testing/gateway-process';
import { taskLifecycle } from './event-fixtures';
import { createEventProducer } from './live-streams.testkit';

// A real gateway process (main.ts, configured by environment) on real Kafka and PostgreSQL: stream
// quotas, revocation of open streams, and a close reason built from hostile input.
const HEARTBEAT_MS = 1_000;
let gw: GatewayProcess;
let streams: ReturnType<typeof streamClients>;
let producer: Awaited<ReturnType<typeof createEventProducer>>;
const sse = (key: string, query = '', headers: Record<string, string> = {}) =>
  streams.sse(key, query, headers);
const ws = (key: string, task?: string) => streams.ws(key, task);
const clients = (stream: 'sse' | 'ws') => streams.clients(stream);

beforeAll(async () => {
  gw = await startGatewayProcess({
    CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS),
    CELERIAC_GATEWAY_STREAMS_PER_KEY: '2',
    CELERIAC_GATEWAY_STREAMS_PER_CONNECTION: '3',
    CELERIAC_GATEWAY_CATCH_UPS_PER_KEY: '1',
    CELERIAC_GATEWAY_REPLAY_ENTRIES: '10',
  });
  streams = streamClients(gw);
  producer = await createEventProducer(readStackEnv().kafkaBrokers, gw.topic);
  await markProjected(gw);
}, 120_000);

afterAll(async () => {
  streams?.closeAll();
  await producer?.close();
  await gw?.close();
});

describe('a WebSocket close reason built from client input', () => {
  it('is cut to 123 bytes: the client gets its close code and the gateway stays up', async () => {
    const connection = await insertConnection(gw.pool, 'close-reason');
    const { key } = await gw.key('viewer', [connection]);
    const hostile = encodeURIComponent('é'.repeat(300));
    const socket = openWs(gw.url, key, `/ws/tasks/t-1?connectionId=${hostile}`);
    const closed = await socket.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^Invalid connectionId 'é+/);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(gw.alive).toBe(true);
  });
});

describe('open streams per key and per connection', () => {
  it('refuses the key past its limit (SSE 429, WS 1013), not other keys, and accepts once one ends', async () => {
    const [a, b] = [await insertConnection(gw.pool, 'limits-a'), await insertConnection(gw.pool, 'limits-b')];
    const first = await gw.key('viewer', [a]);
    const second = await gw.key('viewer', [a]);
    const other = await gw.key('viewer', [b]);

    const firstSse = await sse(first.key);
    expect(firstSse.status).toBe(200);
    const firstWs = ws(first.key);
    await waitFor('the WS to be admitted', async () => (await clients('ws')) === 1);

    const refused = await sse(first.key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(refused.text).error).toMatch(/open streams for this API key \(limit 2\)/);
    const refusedWs = await ws(first.key).closed;
    expect(refusedWs.code).toBe(1013);
    expect(refusedWs.reason).toMatch(/open streams for this API key/);

    // Another key of the same connection has its own allowance, up to the connection's 3.
    expect((await sse(second.key)).status).toBe(200);
    const connectionFull = await sse(second.key);
    expect(connectionFull.status).toBe(429);
    expect(JSON.parse(connectionFull.text).error).toMatch(/for this connection \(limit 3\)/);
    // A key of another connection is not affected at all.
    expect((await sse(other.key)).status).toBe(200);
    // Operators see the refusals by quota and scope (no tenant in the labels).
    expect(await gw.metric('celeriac_gateway_quota_refusals_total', 'kind="stream",scope="key"')).toBe(2);
    expect(await gw.metric('celeriac_gateway_quota_refusals_total', 'kind="stream",scope="connection"')).toBe(
      1,
    );

    firstSse.close();
    await waitFor('the key to be accepted again', async () => (await sse(first.key)).status === 200);
    firstWs.ws.terminate();
  });
});

describe('Kafka catch-ups per key', () => {
  it('refuses a second catch-up of the key while one reads, and accepts once it is done', async () => {
    const connection = await insertConnection(gw.pool, 'catch-up');
    const { key } = await gw.key('viewer', [connection]);
    const neighbour = await gw.key('viewer', [connection]);
    // Enough records that the first catch-up is still reading from Kafka when the second request
    // arrives, even on a loaded machine (with a few dozen, it could finish first). The ring holds 10
    // entries: once all of these are in, the first is only in Kafka.
    const produced = await producer.send(
      Array.from({ length: 150 }, () => taskLifecycle(connection, randomUUID())).flat(),
    );
    await waitFor(
      'the replica to have read every record',
      async () => (await gw.metric('celeriac_gateway_stream_records_total')) >= produced.length,
    );
    const from = produced[0] as (typeof produced)[number];
    const last = produced[produced.length - 1] as (typeof produced)[number];
    const resume = { 'last-event-id': `${from.partition}-${from.offset}` };

    const [one, two] = await Promise.all([sse(key, '', resume), sse(key, '', resume)]);
    const statuses = [one.status, two.status].sort();
    expect(statuses).toEqual([200, 429]);
    const reading = (one.status === 200 ? one : two) as SseStream;
    const refused = (one.status === 200 ? two : one) as SseStream;
    expect(JSON.parse(refused.text).error).toMatch(/stream catch-ups for this API key \(limit 1\)/);
    // Another key of the connection has its own catch-up.
    const theirs = await sse(neighbour.key, '', resume);
    expect(theirs.status).toBe(200);

    await waitFor('the catch-up to reach the last record', () =>
      reading.text.includes(`id: ${last.partition}-${last.offset}`),
    );
    reading.close();
    await waitFor('a new catch-up of the key to be accepted', async () => {
      const again = await sse(key, '', resume);
      again.close();
      return again.status === 200;
    });
  });
});

describe('revocation', () => {
  const openBoth = async (key: string) => {
    const stream = await sse(key);
    expect(stream.status).toBe(200);
    const socket = ws(key);
    await waitFor(
      'both streams to be admitted',
      async () => (await clients('ws')) >= 1 && stream.text.length > 0,
    );
    return { stream, socket };
  };
  const endsOf = async ({ stream, socket }: { stream: SseStream; socket: ReturnType<typeof ws> }) => {
    const [, closed] = await Promise.all([stream.ended, socket.closed]);
    return { sseAt: Date.now(), closed };
  };

  it('a revoked key ends its open SSE and WS streams within one heartbeat interval', async () => {
    const connection = await insertConnection(gw.pool, 'revoked-key');
    const viewer = await gw.key('viewer', [connection]);
    const admin = await gw.key('admin', 'all');
    const open = await openBoth(viewer.key);
    const ending = endsOf(open);
    const revoked = await fetch(`${gw.url}/api/v1/keys/${viewer.keyId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(revoked.status).toBeLessThan(300);
    const at = Date.now();
    const { sseAt, closed } = await ending;
    expect(open.stream.text).toContain('event: disconnect\ndata: {"reason":"revoked"}');
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe('revoked');
    // One interval, plus the recheck query and scheduling on a busy machine.
    expect(sseAt - at).toBeLessThan(HEARTBEAT_MS + 1_000);
    expect(closed.at - at).toBeLessThan(HEARTBEAT_MS + 1_000);
  });

  it('a deleted connection ends its open SSE and WS streams within one heartbeat interval', async () => {
    const connection = await insertConnection(gw.pool, 'deleted-connection');
    const viewer = await gw.key('viewer', [connection]);
    const admin = await gw.key('admin', 'all');
    const open = await openBoth(viewer.key);
    const ending = endsOf(open);
    const deleted = await fetch(`${gw.url}/api/v1/connections/${connection}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(deleted.status).toBeLessThan(300);
    const at = Date.now();
    const { sseAt, closed } = await ending;
    expect(open.stream.text).toContain('event: disconnect\ndata: {"reason":"revoked"}');
    expect(closed.code).toBe(1008);
    expect(sseAt - at).toBeLessThan(HEARTBEAT_MS + 1_000);
    expect(closed.at - at).toBeLessThan(HEARTBEAT_MS + 1_000);
  });
});
