/**
 * The attack surface of the tenancy attack test: every HTTP route of the gateway, aimed at the names
 * of the other tenant, and every way a request can name a connection. Pure data, no I/O.
 */

/** The other tenant's names, or a ghost's (names that exist nowhere) for the comparison request. */
export interface Names {
  connection: string;
  worker: string;
  task: string;
}

export interface Attempt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | FormData;
}

export interface Route {
  method: string;
  path: (names: Names) => string;
  /** A JSON body the route reads (task publishing, admin). */
  json?: (names: Names) => string;
  /** Live inspects take a second: tried only with the vectors that name the connection outright. */
  slow?: boolean;
  /** Admin routes act on the key's own set and read no connection selector (they must still leak nothing). */
  noSelector?: boolean;
}

const w = (names: Names) => encodeURIComponent(names.worker);
const ECHO = '{"args": ["attack"]}';

export const ROUTES: Route[] = [
  { method: 'GET', path: () => '/api/workers' },
  { method: 'GET', path: () => '/api/workers?refresh=1', slow: true },
  { method: 'GET', path: () => '/api/workers?status=1' },
  { method: 'GET', path: (n) => `/api/workers?workername=${w(n)}` },
  { method: 'GET', path: () => '/api/tasks' },
  { method: 'GET', path: (n) => `/api/tasks?workername=${w(n)}` },
  { method: 'GET', path: () => '/api/tasks?search=tasks.add' },
  { method: 'GET', path: () => '/api/task/types' },
  { method: 'GET', path: () => '/api/queues/length' },
  { method: 'GET', path: (n) => `/api/task/info/${n.task}` },
  { method: 'GET', path: (n) => `/api/task/result/${n.task}` },
  { method: 'GET', path: () => '/api/celery-stats/' },
  { method: 'GET', path: () => '/api/v1/tasks' },
  { method: 'GET', path: (n) => `/api/v1/tasks/${n.task}` },
  { method: 'GET', path: (n) => `/api/v1/tasks/${n.task}/events` },
  { method: 'GET', path: () => '/api/v1/workers' },
  { method: 'GET', path: () => '/api/v1/queues' },
  { method: 'GET', path: () => '/api/v1/connections', noSelector: true },
  { method: 'DELETE', path: (n) => `/api/v1/connections/${n.connection}`, noSelector: true },
  {
    method: 'POST',
    path: () => '/api/v1/keys',
    json: (n) => JSON.stringify({ name: 'attack', role: 'admin', connectionIds: [n.connection] }),
    noSelector: true,
  },
  { method: 'GET', path: () => '/api/v1/keys', noSelector: true },
  { method: 'POST', path: (n) => `/api/worker/shutdown/${w(n)}` },
  { method: 'POST', path: (n) => `/api/worker/pool/restart/${w(n)}` },
  { method: 'POST', path: (n) => `/api/worker/pool/grow/${w(n)}?n=2` },
  { method: 'POST', path: (n) => `/api/worker/pool/shrink/${w(n)}` },
  { method: 'POST', path: (n) => `/api/worker/pool/autoscale/${w(n)}?min=1&max=3` },
  { method: 'POST', path: (n) => `/api/worker/queue/add-consumer/${w(n)}?queue=attack` },
  { method: 'POST', path: (n) => `/api/worker/queue/cancel-consumer/${w(n)}?queue=celery` },
  { method: 'POST', path: (n) => `/api/task/timeout/tasks.add?workername=${w(n)}&hard=1` },
  { method: 'POST', path: (n) => `/api/task/rate-limit/tasks.add?workername=${w(n)}&ratelimit=1/m` },
  { method: 'POST', path: (n) => `/api/task/revoke/${n.task}?terminate=true` },
  { method: 'POST', path: (n) => `/api/task/abort/${n.task}` },
  { method: 'POST', path: () => '/api/task/send-task/tasks.echo', json: () => ECHO },
  { method: 'POST', path: () => '/api/task/async-apply/tasks.echo', json: () => ECHO },
  { method: 'POST', path: () => '/api/task/apply/tasks.echo', json: () => ECHO },
];

export interface Vector {
  name: string;
  /** True when the request names the other connection outright: it must be refused (4xx). */
  names: boolean;
  applies: (route: Route) => boolean;
  build: (route: Route, target: Names, own: string) => Attempt;
}

const base = (route: Route, target: Names): Attempt => ({
  method: route.method,
  path: route.path(target),
  headers: route.json ? { 'content-type': 'application/json' } : {},
  body: route.json?.(target),
});
const withQuery = (attempt: Attempt, query: string): Attempt => ({
  ...attempt,
  path: `${attempt.path}${attempt.path.includes('?') ? '&' : '?'}${query}`,
});
const publishes = (route: Route) => route.json !== undefined && route.path(GHOST).startsWith('/api/task/');
const always = () => true;
const posts = (route: Route) => route.method === 'POST' && !route.json;
const GHOST: Names = { connection: '', worker: '', task: '' };

/** `field` carries the connection in the JSON body of a publishing route. */
const bodyField = (name: string, field: (connection: string) => unknown): Vector => ({
  name: `body ${name}`,
  names: true,
  applies: publishes,
  build: (route, target) => ({
    ...base(route, target),
    body: JSON.stringify({ args: ['attack'], [name]: field(target.connection) }),
  }),
});

export const VECTORS: Vector[] = [
  {
    name: 'query',
    names: true,
    applies: always,
    build: (r, t) => withQuery(base(r, t), `connectionId=${t.connection}`),
  },
  {
    name: 'query upper-case',
    names: true,
    applies: always,
    build: (r, t) => withQuery(base(r, t), `connectionId=${t.connection.toUpperCase()}`),
  },
  {
    name: 'query repeated, own first',
    names: true,
    applies: always,
    build: (r, t, own) => withQuery(base(r, t), `connectionId=${own}&connectionId=${t.connection}`),
  },
  {
    name: 'query padded',
    names: true,
    applies: always,
    build: (r, t) => withQuery(base(r, t), `connectionId=%20${t.connection}%09`),
  },
  {
    name: 'header',
    names: true,
    applies: always,
    build: (r, t) => {
      const attempt = base(r, t);
      return { ...attempt, headers: { ...attempt.headers, 'x-celeriac-connection': t.connection } };
    },
  },
  {
    name: 'query over own header',
    names: true,
    applies: always,
    build: (r, t, own) => {
      const attempt = withQuery(base(r, t), `connectionId=${t.connection}`);
      return { ...attempt, headers: { ...attempt.headers, 'X-Celeriac-Connection': own } };
    },
  },
  {
    name: 'upper-case path',
    names: true,
    applies: always,
    build: (r, t) => {
      const attempt = withQuery(base(r, t), `connectionId=${t.connection}`);
      return { ...attempt, path: attempt.path.replace('/api/', '/API/') };
    },
  },
  {
    name: 'form body',
    names: true,
    applies: posts,
    build: (r, t) => ({
      ...base(r, t),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `connectionId=${t.connection}`,
    }),
  },
  {
    name: 'multipart body',
    names: true,
    applies: posts,
    build: (r, t) => {
      const form = new FormData();
      form.append('connectionId', t.connection);
      return { ...base(r, t), headers: {}, body: form };
    },
  },
  bodyField('connectionId', (c) => c),
  bodyField('connection_id', (c) => c),
  bodyField('constructor', (c) => ({ connectionId: c, taskName: 'tasks.add' })),
  bodyField('__proto__', (c) => ({ connectionId: c })),
  bodyField('toString', (c) => ({ connectionId: c })),
  bodyField('hasOwnProperty', (c) => ({ connectionId: c })),
  // Tricks that do not name the connection in a form the gateway accepts: refused or read as the
  // key's own connection, never the other one.
  ...[
    ['query array syntax', (c: string) => `connectionId[]=${c}`],
    ['query lower-case name', (c: string) => `connectionid=${c}`],
    ['query with NUL', (c: string) => `connectionId=${c}%00`],
    ['query in braces', (c: string) => `connectionId=%7B${c}%7D`],
    ['query urn', (c: string) => `connectionId=urn:uuid:${c}`],
    ['query percent-encoded name', (c: string) => `%63onnectionId=${c}`],
  ].map(
    ([name, query]): Vector => ({
      name: name as string,
      names: false,
      applies: (route) => !route.slow,
      build: (r, t) => withQuery(base(r, t), (query as (c: string) => string)(t.connection)),
    }),
  ),
  {
    name: 'header list',
    names: false,
    applies: (route) => !route.slow,
    build: (r, t, own) => {
      const attempt = base(r, t);
      return {
        ...attempt,
        headers: { ...attempt.headers, 'x-celeriac-connection': `${own}, ${t.connection}` },
      };
    },
  },
  {
    name: 'double slash path',
    names: false,
    applies: (route) => !route.slow,
    build: (r, t) =>
      withQuery(
        { ...base(r, t), path: base(r, t).path.replace('/api/', '/api//') },
        `connectionId=${t.connection}`,
      ),
  },
];
