import { randomUUID } from 'node:crypto';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { insertConnection, insertKey } from '../testing/gateway-fixture';
import { metricOf, type PeerGateway, startReplicas } from '../testing/peer-gateways';

// Two gateway processes over real PostgreSQL and Kafka. The periodic recheck runs every 15 s (the
// default): a stream that ends within a second was ended by the sign-out itself, on every replica.
const HEARTBEAT_MS = 15_000;
const WITHIN_MS = 1_000;
const REVOKED_SSE = 'event: disconnect\ndata: {"reason":"revoked"}';

let fleet: Awaited<ReturnType<typeof startReplicas>>;
let connection: string;
const closers: Array<() => void> = [];

beforeAll(async () => {
  fleet = await startReplicas(2, { CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS) });
  connection = await insertConnection(fleet.pool, 'sign-out');
}, 120_000);

afterAll(async () => {
  for (const close of closers) close();
  await fleet?.close();
});

/** Signs in on `gateway` with `key` as the dashboard does; the cookie and the CSRF token. */
async function signIn(gateway: PeerGateway, key: string) {
  const reply = await fetch(`${gateway.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });
  expect(reply.status).toBe(200);
  const cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await reply.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}

/** The dashboard's SSE stream with the cookie alone (what an EventSource sends); `end` says when and how it ended. */
async function sseWithCookie(gateway: PeerGateway, cookie: string) {
  const abort = new AbortController();
  closers.push(() => abort.abort());
  const reply = await fetch(`${gateway.url}/api/events/stream?connectionId=${connection}`, {
    headers: { cookie },
    signal: abort.signal,
  });
  const stream = { status: reply.status, type: reply.headers.get('content-type'), text: '' };
  if (reply.status !== 200) return { ...stream, text: await reply.text(), end: Promise.resolve(0) };
  const end = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of reply.body as unknown as AsyncIterable<Uint8Array>)
        stream.text += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted by the test
    }
    return Date.now();
  })();
  await waitFor('the SSE stream to start', () => stream.text.startsWith('retry:'));
  return Object.assign(stream, { end });
}

/** A per-task WebSocket with the cookie alone; `closed` is its close code, reason and time. */
function wsWithCookie(gateway: PeerGateway, cookie: string) {
  const ws = new WebSocket(
    `${gateway.url.replace('http', 'ws')}/ws/tasks/${randomUUID()}?connectionId=${connection}`,
    {
      headers: { cookie },
    },
  );
  ws.on('error', () => {});
  closers.push(() => ws.terminate());
  return new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
}

const wsClients = (gateway: PeerGateway) =>
  metricOf(`${gateway.url}/metrics`, 'celeriac_gateway_stream_clients', 'stream="ws"');

/** Resolves with the value, or with 'still open' once `ms` have passed (a clear failure, not a hang). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still open'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still open'>((resolve) => {
    timer = setTimeout(() => resolve('still open'), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** One SSE stream and one WebSocket of `cookie` on each of `gateways`, once all are admitted. */
async function openStreams(gateways: PeerGateway[], cookie: string) {
  const before = await Promise.all(gateways.map(wsClients));
  const opened = await Promise.all(
    gateways.map(async (gateway) => ({
      sse: await sseWithCookie(gateway, cookie),
      ws: wsWithCookie(gateway, cookie),
    })),
  );
  for (const { sse } of opened) expect(sse.status).toBe(200);
  await waitFor('every WebSocket admitted', async () => {
    const now = await Promise.all(gateways.map(wsClients));
    return now.every((count, at) => count > (before[at] ?? 0));
  });
  return opened;
}

describe('signing out of the dashboard (two gateway replicas)', () => {
  it("ends that session's SSE and WS streams on every replica within a second, and refuses its cookie", async () => {
    const key = await insertKey(fleet.pool, 'viewer', [connection]);
    const [first, second] = [fleet.at(0), fleet.at(1)];
    const session = await signIn(first, key);
    const other = await signIn(second, key);
    const streams = await openStreams([first, second], session.cookie);
    // Another session of the same key, on the same replica, is not signed out.
    const kept = await sseWithCookie(second, other.cookie);

    const from = Date.now();
    const out = await fetch(`${second.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
    });
    expect(out.status).toBe(204);

    for (const { sse, ws } of streams) {
      const sseEnd = await within(sse.end, WITHIN_MS);
      const wsEnd = await within(ws, WITHIN_MS);
      expect(sseEnd, 'SSE stream still open a second after sign-out').not.toBe('still open');
      expect(wsEnd, 'WebSocket still open a second after sign-out').not.toBe('still open');
      expect(sse.text).toContain(REVOKED_SSE);
      expect(wsEnd).toMatchObject({ code: 1008, reason: 'revoked' });
      console.info(
        `signed-out streams ended ${Number(sseEnd) - from} ms (SSE), ${(wsEnd as { at: number }).at - from} ms (WS) after the request`,
      );
    }
    expect(kept.text).not.toContain('disconnect');

    for (const gateway of [first, second]) {
      const refused = await sseWithCookie(gateway, session.cookie);
      expect(refused.status).toBe(401);
      expect(refused.type).toContain('application/json');
      expect(JSON.parse(refused.text)).toEqual({ error: 'missing or invalid API key' });
      expect(await wsWithCookie(gateway, session.cookie)).toMatchObject({
        code: 1008,
        reason: 'missing or invalid API key',
      });
    }
  });

  it('a session dropped by the key signing in a 51st time ends its streams too', async () => {
    const key = await insertKey(fleet.pool, 'viewer', [connection]);
    const [first, second] = [fleet.at(0), fleet.at(1)];
    const oldest = await signIn(first, key);
    const [opened] = await openStreams([second], oldest.cookie);
    if (!opened) throw new Error('no stream opened');
    // A key holds at most 50 sessions (sessions-store.ts): the 51st sign-in drops the oldest.
    for (let i = 0; i < 49; i++) await signIn(first, key);
    expect(opened.sse.text).not.toContain('disconnect');
    const from = Date.now();
    await signIn(first, key);
    const sseEnd = await within(opened.sse.end, WITHIN_MS);
    expect(sseEnd, 'SSE stream still open a second after its session was dropped').not.toBe('still open');
    expect(await within(opened.ws, WITHIN_MS)).toMatchObject({ code: 1008, reason: 'revoked' });
    expect(opened.sse.text).toContain(REVOKED_SSE);
    console.info(`dropped session's SSE stream ended ${Number(sseEnd) - from} ms after the 51st sign-in`);
  });

  it('a session that expires ends its open streams then, without waiting for the periodic recheck', async () => {
    const key = await insertKey(fleet.pool, 'viewer', [connection]);
    const gateway = fleet.at(0);
    const session = await signIn(gateway, key);
    // The TTL knob's minimum is a minute: this session is shortened to three seconds in its row instead.
    const { rows } = await fleet.pool.query<{ ends: number }>(
      `UPDATE celeriac.dashboard_sessions SET expires_at = now() + interval '3 seconds'
       WHERE key_id = (SELECT key_id FROM celeriac.api_keys WHERE key_hash = sha256($1::bytea))
       RETURNING extract(epoch FROM expires_at) * 1000 AS ends`,
      [Buffer.from(key)],
    );
    const endsAt = Number(rows[0]?.ends);
    const [opened] = await openStreams([gateway], session.cookie);
    if (!opened) throw new Error('no stream opened');
    const { sse, ws } = opened;
    expect(Date.now()).toBeLessThan(endsAt);

    const sseEnd = await within(sse.end, endsAt - Date.now() + WITHIN_MS);
    const wsEnd = await within(ws, endsAt - Date.now() + WITHIN_MS);
    expect(sseEnd, 'SSE stream still open a second after its session expired').not.toBe('still open');
    expect(wsEnd, 'WebSocket still open a second after its session expired').not.toBe('still open');
    expect(sse.text).toContain(REVOKED_SSE);
    expect(wsEnd).toMatchObject({ code: 1008, reason: 'revoked' });
    // Not before its time (the gateway's timer is set from the database's clock).
    expect(Number(sseEnd)).toBeGreaterThanOrEqual(endsAt - 100);
    console.info(
      `expired session's streams ended ${Math.round(Number(sseEnd) - endsAt)} ms (SSE) after its expiry`,
    );
    const refused = await sseWithCookie(gateway, session.cookie);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toEqual({ error: 'missing or invalid API key' });
  });
});
