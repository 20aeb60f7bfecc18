import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { seedConnection } from '../testing/read-model-rows';

// Every parameter's bad value is a 4xx with a JSON error, unknown ids are 404, and nothing a client
// sends makes the gateway answer 500. No collector holds the lease here, so a command that passes
// validation ends in 503 (broker/collector unavailable), never 500.
let gw: TestGateway;
let key: string;

beforeAll(async () => {
  gw = await startTestGateway();
  const connectionId = await insertConnection(gw.pool, 'alpha');
  await seedConnection(gw.pool, connectionId, 'alpha');
  key = await insertKey(gw.pool, 'operator', [connectionId]);
});
afterAll(async () => {
  await gw?.close();
});

const W = encodeURIComponent('alpha@w1');
type Case = [method: string, path: string, status: number, message?: RegExp, form?: Record<string, string>];
const CASES: Case[] = [
  ['GET', '/api/tasks?limit=ten', 400, /'limit'/],
  ['GET', '/api/tasks?limit=1.5', 400, /'limit'/],
  ['GET', '/api/tasks?offset=x', 400, /'offset'/],
  ['GET', '/api/tasks?sort_by=runtime', 400, /sort_by/],
  ['GET', '/api/tasks?sort_by=--name', 400, /sort_by/],
  ['GET', '/api/tasks?received_start=yesterday', 400, /received_start/],
  ['GET', '/api/tasks?received_end=2024-02-30%2010:00', 400, /received_end/],
  ['GET', '/api/tasks?search=ab', 400, /at position 0/],
  ['GET', '/api/tasks?search=%22open', 400, /Unterminated/],
  ['GET', '/api/tasks?connectionId=not-a-uuid', 400, /connectionId/],
  ['GET', '/api/tasks?connectionId=00000000-0000-0000-0000-000000000000', 404, /Unknown connection/],
  ['GET', '/api/workers?refresh=maybe', 400, /'refresh'/],
  ['GET', '/api/workers?status=2', 400, /'status'/],
  ['GET', '/api/workers?workername=ghost@x', 404, /Unknown worker 'ghost@x'/],
  ['GET', '/api/task/info/ghost', 404, /Unknown task/],
  ['GET', '/api/task/result/x?timeout=soon', 400, /'timeout'/],
  ['GET', '/api/task/result/x?timeout=-1', 400, /timeout/],
  ['GET', '/api/task/result/x?timeout=100000', 400, /timeout/],
  ['POST', '/api/worker/shutdown/ghost@x', 404, /Unknown worker 'ghost@x'/],
  ['POST', '/api/worker/pool/restart/ghost@x', 404, /Unknown worker/],
  ['POST', `/api/worker/pool/grow/${W}`, 400, /'n'/, { n: 'abc' }],
  ['POST', `/api/worker/pool/shrink/${W}?n=1.5`, 400, /'n'/],
  ['POST', `/api/worker/pool/autoscale/${W}`, 400, /'min'/, { max: '4' }],
  ['POST', `/api/worker/pool/autoscale/${W}`, 400, /'max'/, { min: '1', max: 'x' }],
  ['POST', `/api/worker/queue/add-consumer/${W}`, 400, /'queue'/],
  ['POST', `/api/worker/queue/cancel-consumer/${W}`, 400, /'queue'/, { queue: '' }],
  ['POST', '/api/worker/queue/add-consumer/ghost@x', 404, /Unknown worker/, { queue: 'q' }],
  ['POST', '/api/task/timeout/ghost.task', 404, /Unknown task 'ghost.task'/, { workername: 'alpha@w1' }],
  ['POST', '/api/task/timeout/alpha.add', 404, /Unknown worker ''/],
  ['POST', '/api/task/timeout/alpha.add', 404, /Unknown worker 'ghost'/, { workername: 'ghost' }],
  ['POST', '/api/task/timeout/alpha.add', 400, /'hard'/, { workername: 'alpha@w1', hard: 'long' }],
  ['POST', '/api/task/timeout/alpha.add', 400, /'soft'/, { workername: 'alpha@w1', soft: '-2' }],
  [
    'POST',
    '/api/task/rate-limit/ghost.task',
    404,
    /Unknown task/,
    { workername: 'alpha@w1', ratelimit: '1/s' },
  ],
  ['POST', '/api/task/rate-limit/alpha.add', 404, /Unknown worker/, { ratelimit: '1/s' }],
  ['POST', '/api/task/revoke/x', 400, /'terminate'/, { terminate: 'perhaps' }],
  ['POST', '/api/task/revoke/x', 400, /signal/, { signal: 'not a signal' }],
  ['POST', '/api/task/abort/x', 503, /result backend/],
  ['POST', '/api/task/async-apply/ghost.task', 404, /Unknown task/],
  ['POST', '/api/task/apply/ghost.task', 404, /Unknown task/],
  ['GET', '/api/v1/tasks?limit=0', 400, /limit/],
  ['GET', '/api/v1/tasks?limit=5000', 400, /limit/],
  ['GET', '/api/v1/tasks?cursor=garbage', 400, /cursor/],
  ['GET', '/api/v1/tasks/ghost', 404, /Unknown task/],
  ['GET', '/api/v1/tasks/alpha-t1/events?after=x', 400, /'after'/],
  ['GET', '/api/v1/tasks/alpha-t1/events?limit=-1', 400, /limit/],
  ['GET', '/api/worker/shutdown/alpha@w1', 405, /not allowed/],
  ['DELETE', '/api/tasks', 405, /not allowed/],
  ['GET', '/api/no-such-endpoint', 404, /No route/],
  ['GET', '/api/tasks?offset=100001', 400, /'offset' must be at most 100000/],
  ['POST', `/api/worker/pool/grow/${W}`, 400, /'n' must be between 1 and 10000/, { n: '0' }],
  ['POST', `/api/worker/pool/autoscale/${W}`, 400, /'max' must be between/, { min: '1', max: '100000' }],
];

describe('bad client input', () => {
  it.each(CASES)('%s %s -> %i', async (method, path, status, message, form) => {
    const reply = await gw.request(method, path, { key, form });
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toMatch(/application\/json/);
    expect(reply.json.error).toMatch(message ?? /./);
  });

  it.each([
    ['/api/task/send-task/alpha.add', 'not json', /not valid JSON/],
    ['/api/task/send-task/alpha.add', '[1, 2]', /JSON object/],
    ['/api/task/async-apply/alpha.add', '{"args": "1,2"}', /args must be an array/],
    ['/api/task/apply/alpha.add', '{"countdown": "soon"}', /countdown/],
    ['/api/task/send-task/alpha.add', '{"eta": "2020-13-01 00:00:00.0"}', /eta/],
    ['/api/task/send-task/alpha.add', '{"link": "x"}', /Unsupported option 'link'/],
    ['/api/task/send-task/alpha.add', '{"constructor": {"queue": "q"}}', /Unsupported option 'constructor'/],
    ['/api/task/send-task/alpha.add', '{"__proto__": {"queue": "q"}}', /Unsupported option '__proto__'/],
  ])('POST %s with body %s -> 400', async (path, body, message) => {
    const reply = await gw.request('POST', path, {
      key,
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(message);
  });

  // Values the earlier backtracking number patterns took seconds on: each is a quick 400 now. URLs stay
  // under Node's 16 KiB header limit; longer values go in form bodies.
  const LONG: Array<[string, string, RegExp, Record<string, string>?]> = [
    ['GET', `/api/tasks?offset=${'9'.repeat(4_000)}`, /'offset'/],
    ['GET', `/api/tasks?limit=${'1'.repeat(4_000)}x`, /'limit'/],
    ['GET', `/api/task/result/x?timeout=${'1'.repeat(4_000)}x`, /'timeout'/],
    ['GET', `/api/tasks?workername=${'w'.repeat(600)}`, /'workername' is longer than 512/],
    ['GET', `/api/tasks?received_start=${'2'.repeat(4_000)}`, /received_start/],
    ['POST', `/api/worker/pool/grow/${W}`, /'n'/, { n: `${'1'.repeat(50_000)}x` }],
    [
      'POST',
      '/api/task/timeout/alpha.add',
      /'hard'/,
      { workername: 'alpha@w1', hard: `${'1'.repeat(50_000)}x` },
    ],
    ['POST', `/api/worker/pool/autoscale/${W}`, /'min'/, { min: `${'1'.repeat(50_000)}`, max: '2' }],
  ];
  it('answers very long numbers and names with a quick 400', async () => {
    for (const [method, path, message, form] of LONG) {
      const reply = await gw.request(method, path, { key, form });
      const label = `${method} ${path.slice(0, 60)} ${Object.keys(form ?? {}).join(',')}`;
      expect.soft(reply.status, label).toBe(400);
      expect.soft(reply.json?.error, label).toMatch(message);
    }
  });

  it('refuses a 100,000-digit countdown and args nested 200,000 deep with a 400', async () => {
    for (const [body, message] of [
      [`{"countdown": "${'1'.repeat(100_000)}"}`, /countdown/],
      [`{"args": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, /levels/],
    ] as const) {
      const reply = await gw.request('POST', '/api/task/send-task/alpha.add', { key, body });
      expect(reply.status).toBe(400);
      expect(reply.json.error).toMatch(message);
    }
  });

  describe('multipart/form-data bodies, which Flower (Tornado) reads like urlencoded ones', () => {
    const post = (body: FormData | string, headers: Record<string, string> = {}) =>
      fetch(`${gw.base}/api/worker/pool/grow/${W}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, ...headers },
        body,
      }).then(async (response) => ({
        status: response.status,
        json: (await response.json()) as { error: string },
      }));
    const form = (fields: Record<string, string>) => {
      const data = new FormData();
      for (const [name, value] of Object.entries(fields)) data.append(name, value);
      return data;
    };

    it('reads their fields: a bad n is refused, a good one passes validation', async () => {
      const bad = await post(form({ n: 'abc' }));
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatch(/'n'/);
      const good = await post(form({ n: '2' }));
      expect(good.status).toBe(503);
      expect(good.json.error).toMatch(/No collector holds connection/);
    });

    it('refuses a file part, a truncated body and a missing boundary with 400', async () => {
      const withFile = form({ n: '2' });
      withFile.append('upload', new Blob(['x']), 'x.txt');
      const truncated = '--XYZ\r\nContent-Disposition: form-data; name="n"\r\n\r\n2';
      for (const reply of [
        await post(withFile),
        await post(truncated, { 'content-type': 'multipart/form-data; boundary=XYZ' }),
        await post('n=2', { 'content-type': 'multipart/form-data' }),
      ]) {
        expect(reply.status).toBe(400);
        expect(reply.json.error).toMatch(/multipart\/form-data/);
      }
    });
  });

  it('commands that pass validation report the missing collector as 503, not 500', async () => {
    const reply = await gw.request('POST', `/api/worker/pool/grow/${W}`, { key, form: { n: '2' } });
    expect(reply.status).toBe(503);
    expect(reply.json.error).toMatch(/No collector holds connection/);
    const sent = await gw.request('POST', '/api/task/send-task/alpha.add', { key, body: '{"args": [1, 2]}' });
    expect(sent.status).toBe(503);
  });

  const NASTY = [
    '',
    ' ',
    '-1',
    '0',
    '1e999',
    '9'.repeat(40),
    "'; DROP TABLE celeriac.tasks; --",
    '%',
    '\u0000',
    '😀',
    'x'.repeat(5000),
    '[]',
    '{}',
  ];
  const SURFACE: Array<[string, string, string[]]> = [
    [
      'GET',
      '/api/tasks',
      [
        'limit',
        'offset',
        'sort_by',
        'workername',
        'taskname',
        'state',
        'received_start',
        'received_end',
        'search',
      ],
    ],
    ['GET', '/api/workers', ['refresh', 'status', 'workername']],
    ['GET', '/api/task/result/alpha-t1', ['timeout']],
    ['GET', '/api/v1/tasks', ['limit', 'cursor', 'state', 'search']],
    ['GET', '/api/v1/tasks/alpha-t1/events', ['after', 'limit']],
    ['POST', `/api/worker/pool/grow/${W}`, ['n']],
    ['POST', `/api/worker/pool/autoscale/${W}`, ['min', 'max']],
    ['POST', `/api/worker/queue/add-consumer/${W}`, ['queue']],
    ['POST', '/api/task/timeout/alpha.add', ['workername', 'hard', 'soft']],
    ['POST', '/api/task/rate-limit/alpha.add', ['workername', 'ratelimit']],
    ['POST', '/api/task/revoke/alpha-t1', ['terminate', 'signal']],
  ];
  it.each(SURFACE)('%s %s never answers 500 to any odd parameter value', async (method, path, names) => {
    for (const name of names) {
      for (const value of NASTY) {
        const reply =
          method === 'GET'
            ? await gw.request(method, `${path}?${new URLSearchParams({ [name]: value })}`, { key })
            : await gw.request(method, path, { key, form: { [name]: value } });
        expect.soft(reply.status, `${name}=${JSON.stringify(value.slice(0, 20))}`).not.toBe(500);
        if (reply.status >= 400) expect.soft(typeof reply.json?.error, `${name} error body`).toBe('string');
      }
    }
  });

  it('odd path segments are answered, not crashed on', async () => {
    for (const path of [
      '/api/task/info/%E0%A4%A',
      `/api/task/info/${'x'.repeat(300)}`,
      '/api/task/result/%00',
      '/api/v1/tasks/%F0%9F%98%80',
    ]) {
      const reply = await gw.request('GET', path, { key });
      expect.soft(reply.status, path).toBeGreaterThanOrEqual(200);
      expect.soft(reply.status, path).not.toBe(500);
    }
  });
});
