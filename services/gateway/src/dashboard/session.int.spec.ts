import { createHash, randomUUID } from 'node:crypto';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { insertConnection } from '../testing/gateway-fixture';
import { type GatewayProcess, startGatewayProcess } from '../testing/gateway-process';
import { insertTask } from '../testing/read-model-rows';

// The dashboard's sign-in on a real gateway process (main.ts) over real PostgreSQL and Kafka.
let gw: GatewayProcess;
let connection: string;
const HEARTBEAT_MS = 500;

beforeAll(async () => {
  gw = await startGatewayProcess({
    CELERIAC_GATEWAY_SIGNIN_FAILURES: '3',
    CELERIAC_GATEWAY_SIGNIN_WINDOW_SECONDS: '600',
    CELERIAC_GATEWAY_TRUST_PROXY: 'loopback',
    CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS),
  });
  connection = await insertConnection(gw.pool, 'dashboard');
  await insertTask(gw.pool, connection, {
    uuid: 'task-1',
    name: 'tasks.add',
    state: 'SUCCESS',
    timestamp: 1,
  });
}, 120_000);

afterAll(async () => {
  await gw?.close();
});

/** Signs in from `address` (X-Forwarded-For, trusted from loopback); returns the cookie and the body. */
async function signIn(key: string, address = '203.0.113.1', headers: Record<string, string> = {}) {
  const reply = await fetch(`${gw.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address, ...headers },
    body: JSON.stringify({ key }),
  });
  const setCookie = reply.headers.get('set-cookie') ?? '';
  // biome-ignore lint/suspicious/noExplicitAny: tests probe reply bodies field by field
  const body: any = await reply.json();
  return { reply, setCookie, cookie: setCookie.split(';')[0] ?? '', body };
}

const withCookie = (cookie: string, path: string, init: RequestInit = {}) =>
  fetch(`${gw.url}${path}`, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });

describe('dashboard sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict cookie for the whole site, Secure only over TLS', async () => {
    const viewer = await gw.key('viewer', [connection]);
    const plain = await signIn(viewer.key);
    expect(plain.reply.status).toBe(200);
    expect(plain.setCookie).toMatch(/^celeriac_session=[A-Za-z0-9_-]{43};/);
    expect(plain.setCookie).toContain('HttpOnly');
    expect(plain.setCookie).toContain('SameSite=Strict');
    expect(plain.setCookie).toContain('Path=/');
    expect(plain.setCookie).toContain('Max-Age=43200');
    expect(plain.setCookie).not.toContain('Secure');
    expect(plain.body).toMatchObject({
      keyId: viewer.keyId,
      name: 'test-viewer',
      role: 'viewer',
      permissions: ['read'],
      connections: [{ id: connection, name: 'dashboard' }],
    });
    expect(plain.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // Behind a TLS-terminating proxy the gateway trusts (loopback here), the cookie is Secure.
    const tls = await signIn(viewer.key, '203.0.113.1', { 'x-forwarded-proto': 'https' });
    expect(tls.setCookie).toContain('Secure');
  });

  it('stores only a hash of the cookie value', async () => {
    const viewer = await gw.key('viewer', [connection]);
    const { cookie } = await signIn(viewer.key);
    const value = cookie.slice('celeriac_session='.length);
    const { rows } = await gw.pool.query<{ session_hash: Buffer }>(
      'SELECT session_hash FROM celeriac.dashboard_sessions WHERE key_id = $1',
      [viewer.keyId],
    );
    expect(rows.map((row) => row.session_hash.toString('hex'))).toEqual([
      createHash('sha256').update(value).digest('hex'),
    ]);
  });

  it('the cookie works for REST, the SSE stream and the per-task WebSocket', async () => {
    const viewer = await gw.key('viewer', [connection]);
    const { cookie, body } = await signIn(viewer.key);
    const tasks = await withCookie(cookie, `/api/v1/tasks?connectionId=${connection}`);
    expect(tasks.status).toBe(200);
    expect(
      ((await tasks.json()) as { items: { uuid: string }[] }).items.map(
        (task: { uuid: string }) => task.uuid,
      ),
    ).toEqual(['task-1']);
    const session = await withCookie(cookie, '/api/v1/session');
    expect(await session.json()).toEqual(body);
    expect((await fetch(`${gw.url}/api/v1/tasks?connectionId=${connection}`)).status).toBe(401);

    const abort = new AbortController();
    const sse = await withCookie(cookie, `/api/events/stream?connectionId=${connection}`, {
      signal: abort.signal,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    abort.abort();

    const ws = new WebSocket(
      `${gw.url.replace('http', 'ws')}/ws/tasks/${randomUUID()}?connectionId=${connection}`,
      {
        headers: { cookie },
      },
    );
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    await waitFor('the WebSocket to be admitted', async () =>
      (await gw.metric('celeriac_gateway_stream_clients', 'stream="ws"')) >= 1 ? true : undefined,
    );
    ws.close();
    await closed;
    const refused = new WebSocket(`${gw.url.replace('http', 'ws')}/ws/tasks/${randomUUID()}`, {
      headers: { cookie: 'celeriac_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    refused.on('error', () => {});
    expect(await new Promise((resolve) => refused.once('close', resolve))).toBe(1008);
  });

  it('a command with the cookie needs the X-CSRF-Token header; one with a key does not', async () => {
    const operator = await gw.key('operator', [connection]);
    const { cookie, body } = await signIn(operator.key);
    const revoke = (headers: Record<string, string>) =>
      fetch(`${gw.url}/api/task/revoke/task-1?connectionId=${connection}`, { method: 'POST', headers });
    const missing = await revoke({ cookie });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toEqual({ error: 'CSRF token missing or wrong' });
    // One character changed (replacing it by a fixed letter was the token itself when it ended in that letter).
    const token: string = body.csrfToken;
    const changed = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const wrong = await revoke({ cookie, 'x-csrf-token': changed });
    expect(wrong.status).toBe(403);
    // Past the CSRF check the command reaches Control (no collector holds this connection: 503).
    expect((await revoke({ cookie, 'x-csrf-token': body.csrfToken })).status).toBe(503);
    expect((await revoke({ authorization: `Bearer ${operator.key}` })).status).toBe(503);
  });

  it('a viewer session is refused commands', async () => {
    const viewer = await gw.key('viewer', [connection]);
    const { cookie, body } = await signIn(viewer.key);
    const reply = await withCookie(cookie, `/api/task/revoke/task-1?connectionId=${connection}`, {
      method: 'POST',
      headers: { 'x-csrf-token': body.csrfToken },
    });
    expect(reply.status).toBe(403);
    expect(((await reply.json()) as { error: string }).error).toMatch(/does not allow 'command'/);
  });

  it('sign-out needs the CSRF header, deletes the session row and clears the cookie', async () => {
    const viewer = await gw.key('viewer', [connection]);
    const { cookie, body } = await signIn(viewer.key);
    expect((await withCookie(cookie, '/api/v1/session', { method: 'DELETE' })).status).toBe(403);
    const out = await withCookie(cookie, '/api/v1/session', {
      method: 'DELETE',
      headers: { 'x-csrf-token': body.csrfToken },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^celeriac_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await withCookie(cookie, '/api/v1/session')).status).toBe(401);
    const { rowCount } = await gw.pool.query('SELECT 1 FROM celeriac.dashboard_sessions WHERE key_id = $1', [
      viewer.keyId,
    ]);
    expect(rowCount).toBe(0);
  });

  it('revoking the key ends its sessions at once, open streams included', async () => {
    const viewer = await gw.key('viewer', [connection]);
    const admin = await gw.key('admin', 'all');
    const { cookie } = await signIn(viewer.key);
    const sse = await withCookie(cookie, `/api/events/stream?connectionId=${connection}`);
    expect(sse.status).toBe(200);
    const text = (async () => {
      let all = '';
      const decoder = new TextDecoder();
      for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>)
        all += decoder.decode(chunk);
      return all;
    })();
    const revoked = await fetch(`${gw.url}/api/v1/keys/${viewer.keyId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(revoked.status).toBeLessThan(300);
    expect((await withCookie(cookie, `/api/v1/tasks?connectionId=${connection}`)).status).toBe(401);
    expect(await text).toContain('event: disconnect\ndata: {"reason":"revoked"}');
  });

  it('answers 429 with Retry-After after repeated failed sign-ins from one address, not others', async () => {
    const viewer = await gw.key('viewer', [connection]);
    for (let i = 0; i < 3; i++) expect((await signIn('clk_wrong', '198.51.100.7')).reply.status).toBe(401);
    const limited = await signIn(viewer.key, '198.51.100.7');
    expect(limited.reply.status).toBe(429);
    expect(Number(limited.reply.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(limited.body.error).toMatch(/Too many failed sign-ins/);
    expect((await signIn(viewer.key, '198.51.100.8')).reply.status).toBe(200);
  });

  it('rejects a malformed sign-in body with 400', async () => {
    const reply = await fetch(`${gw.url}/api/v1/session`, { method: 'POST', body: '{"key": 5}' });
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as { error: string }).error).toMatch(/"key"/);
  });
});
