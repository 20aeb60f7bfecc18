import { randomUUID } from 'node:crypto';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTwoTenants, type TwoTenants } from '../testing/two-tenants';
import { type Attempt, type Names, ROUTES } from './tenancy-attack.routes';
import { VECTORS } from './tenancy-attack.vectors';

// Keys of every role bound to connection A try every route, stream and body trick on connection B,
// on the real stack: a collector, projector and gateway as deployed, a vhost and a real Celery worker
// per tenant. Nothing of B may come back, and B's broker and worker must see nothing: afterwards B's
// worker has run only B's own tasks and kept its pool, queues, limits and revoked list.
let stack: TwoTenants;
const keys: Record<string, string> = {};
let target: Names;
let ghost: Names;
let markers: string[];

const send = (attempt: Attempt, key: string) => stack.send(attempt, key);

const asB = (path: string, init: Partial<Attempt> = {}) =>
  send({ method: 'GET', path, headers: {}, ...init }, keys.bOperator as string);

/** B's own task, sent with B's own key and run by B's worker. */
async function runOnB(taskId: string, name = 'tasks.add', args: unknown[] = [2, 3]): Promise<void> {
  const body = JSON.stringify({ args, task_id: taskId });
  const sent = await asB(`/api/task/send-task/${name}`, { method: 'POST', body });
  expect(sent.status, sent.text).toBe(200);
  await waitFor(
    `B's task ${taskId} to succeed`,
    async () => (await asB(`/api/task/info/${taskId}`)).json?.state === 'SUCCESS',
    { timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  stack = await startTwoTenants();
  const { a, b } = stack;
  for (const role of ['viewer', 'operator', 'support', 'admin'] as const)
    keys[role] = await stack.key(role, [a.connectionId]);
  keys.bOperator = await stack.key('operator', [b.connectionId]);
  // B's data: a task whose argument and result only B knows. Its id is a name attackers use (and may
  // plant in A's own data, e.g. A's revoked list), so the id is not itself a leak marker.
  const seed = randomUUID();
  const secret = `b-secret-${randomUUID()}`;
  await runOnB(seed, 'tasks.echo', [secret]);
  target = { connection: b.connectionId, worker: b.worker.nodeName, task: seed };
  ghost = { connection: randomUUID(), worker: 'ghost@celeriac-test', task: randomUUID() };
  markers = [b.connectionId, b.connectionId.toUpperCase(), b.worker.nodeName, b.vhost, 'tenant-b', secret];
}, 300_000);
afterAll(async () => {
  await stack?.close();
});

/** The reply text with B's names written as the ghost's, to compare with the ghost request's reply. */
const asGhost = (text: string) =>
  text
    .replaceAll(target.connection, ghost.connection)
    .replaceAll(target.connection.toUpperCase(), ghost.connection.toUpperCase())
    .replaceAll(encodeURIComponent(target.worker), encodeURIComponent(ghost.worker))
    .replaceAll(target.worker, ghost.worker)
    .replaceAll(target.task, ghost.task);

describe.each(['viewer', 'operator', 'support', 'admin'])("%s key of A against B's names", (role) => {
  it('is refused or kept on A on every route and vector, and never sees B', async () => {
    const key = keys[role] as string;
    const own = stack.a.connectionId;
    let tried = 0;
    for (const route of ROUTES) {
      for (const vector of VECTORS.filter((candidate) => candidate.applies(route))) {
        const label = `${route.method} ${route.path(target)} via ${vector.name}`;
        const reply = await send(vector.build(route, target, own), key);
        const twin = await send(vector.build(route, ghost, own), key);
        tried += 1;
        // 503 is abort's "no result backend" answer (as Flower's); any other 5xx is a failure.
        if (reply.status !== 503) expect.soft(reply.status, label).toBeLessThan(500);
        expect.soft(reply.status, `${label}: like a connection that does not exist`).toBe(twin.status);
        if (vector.names && !route.noSelector)
          expect.soft([400, 403, 404], `${label} -> ${reply.status}`).toContain(reply.status);
        if (reply.status >= 400) {
          expect.soft(typeof reply.json?.error, `${label}: JSON error`).toBe('string');
          // Error texts may echo what the request said, and must say exactly what they say for a ghost.
          expect.soft(asGhost(reply.text), label).toBe(twin.text);
        } else {
          // A name the request itself carries may come back (Flower echoes an unknown task id as
          // PENDING); then the reply must be the ghost's reply word for word. Anything else of B, never.
          const attempt = JSON.stringify(vector.build(route, target, own));
          const echoed = markers.filter((marker) => reply.text.includes(marker));
          for (const marker of echoed.filter((found) => !attempt.includes(found)))
            expect.soft(reply.text, `${label} leaks ${marker}`).not.toContain(marker);
          if (echoed.length > 0) expect.soft(asGhost(reply.text), `${label} echoes`).toBe(twin.text);
        }
      }
    }
    expect(tried).toBeGreaterThan(400);
  });
});

describe("streams of A's keys", () => {
  it('refuse SSE and WebSocket subscriptions naming B', async () => {
    for (const role of ['viewer', 'admin']) {
      const key = keys[role] as string;
      for (const init of [
        { path: `/api/events/stream?connectionId=${target.connection}` },
        { path: `/api/events/stream?connectionId=${target.connection.toUpperCase()}` },
        { path: '/api/events/stream', headers: { 'x-celeriac-connection': target.connection } },
      ]) {
        const reply = await send({ method: 'GET', headers: {}, ...init }, key);
        expect(reply.status, init.path).toBe(404);
        expect(reply.json.error).toMatch(/Unknown connection/);
      }
      for (const [path, headers] of [
        [`/ws/tasks/${target.task}?connectionId=${target.connection}`, {}],
        [`/${target.task}?connectionId=${target.connection.toUpperCase()}`, {}],
        [`/ws/tasks/${target.task}`, { 'x-celeriac-connection': target.connection }],
      ] as const) {
        const ws = new WebSocket(`${stack.url.replace('http', 'ws')}${path}`, {
          headers: { authorization: `Bearer ${key}`, ...headers },
        });
        const frames: string[] = [];
        ws.on('message', (data) => frames.push(String(data)));
        ws.on('error', () => undefined);
        const closed = await new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
        expect(closed, path).not.toBe(1000);
        expect(frames).toEqual([]);
      }
    }
  });

  it("carry A's events and none of B's while both tenants run tasks", async () => {
    const key = keys.viewer as string;
    const canary = randomUUID();
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/api/events/stream`, {
      headers: { authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    let sse = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) sse += decoder.decode(chunk);
    })().catch(() => undefined);
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/ws/tasks/${canary}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(String(data)));
    ws.on('error', () => undefined);
    await waitFor('the websocket to open', () => ws.readyState === WebSocket.OPEN);

    await runOnB(canary);
    // A task of A after B's: once A's events reached the stream, B's earlier ones would have too.
    const own = await send(
      { method: 'POST', path: '/api/task/send-task/tasks.add', headers: {}, body: '{"args": [1, 1]}' },
      keys.operator as string,
    );
    const ownId = own.json['task-id'] as string;
    await waitFor("A's task in A's event stream", () => sse.includes(ownId) && sse.includes('completed'), {
      timeoutMs: 60_000,
    });
    controller.abort();
    await reading;
    ws.terminate();
    for (const marker of [...markers, canary, target.task]) expect(sse).not.toContain(marker);
    expect(frames).toEqual([]);
  });
});

describe("B's broker and worker afterwards", () => {
  it("ran only B's own tasks and kept its pool, queues, limits and revoked list", async () => {
    const worker = target.worker;
    expect(stack.b.worker.process.exitCode).toBeNull();
    const info = (await asB(`/api/workers?refresh=1&workername=${encodeURIComponent(worker)}`)).json[worker];
    // Two tasks of B ran, the seed echo and the stream canary; none of the echoes A's keys sent.
    expect(info.stats.total).toEqual({ 'tasks.echo': 1, 'tasks.add': 1 });
    expect(info.stats.pool.processes).toHaveLength(1);
    expect(info.active_queues.map((queue: { name: string }) => queue.name)).toEqual(['celery']);
    expect(JSON.stringify(info.registered)).not.toContain('rate_limit');
    expect(info.revoked).toEqual([]);
    const tasks = (await asB('/api/tasks')).json;
    const names = Object.values(tasks).map((task) => (task as { name: string }).name);
    expect(names.sort()).toEqual(['tasks.add', 'tasks.echo']);
    const connections = await send(
      { method: 'GET', path: '/api/v1/connections', headers: {} },
      keys.admin as string,
    );
    expect(connections.json.items.map((item: { connectionId: string }) => item.connectionId)).toEqual([
      stack.a.connectionId,
    ]);
  });

  it("A's operator reaches A's own worker the same way (the attack was not blocked for a wrong reason)", async () => {
    const sent = await send(
      { method: 'POST', path: '/api/task/apply/tasks.add', headers: {}, body: '{"args": [20, 22]}' },
      keys.operator as string,
    );
    expect(sent.json).toMatchObject({ state: 'SUCCESS', result: '42' });
  });
});

describe('credentials in real worker replies', () => {
  it("A's worker reports its failover broker URLs; no reader of A gets the password", async () => {
    const password = stack.brokerPassword;
    const worker = stack.a.worker.nodeName;
    const path = `/api/workers?refresh=1&workername=${encodeURIComponent(worker)}`;
    const live = await send({ method: 'GET', path, headers: {} }, keys.viewer as string);
    expect(live.json[worker].stats.broker).toMatchObject({ failover_strategy: 'round-robin' });
    await waitFor(
      "the collector's stored inspect of A's worker",
      async () =>
        (await send({ method: 'GET', path: '/api/v1/workers', headers: {} }, keys.viewer as string)).json
          ?.items?.[0]?.inspect?.stats,
      { timeoutMs: 60_000 },
    );
    for (const [role, readPath] of [
      ['viewer', path],
      ['viewer', '/api/workers'],
      ['viewer', '/api/v1/workers'],
      ['support', '/api/celery-stats/'],
    ] as const) {
      const reply = await send({ method: 'GET', path: readPath, headers: {} }, keys[role] as string);
      expect(reply.status).toBe(200);
      expect(reply.text, readPath).not.toContain(`:${password}@`);
      expect(reply.text, readPath).not.toContain('alternates');
    }
  });
});
