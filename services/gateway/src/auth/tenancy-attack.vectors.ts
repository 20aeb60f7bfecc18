import type { Attempt, Names, Route } from './tenancy-attack.routes';

/**
 * Every way a request can name a connection (query, header, form, multipart, JSON body fields named
 * like Object.prototype members, case, padding, encodings, paths), built for one route and target.
 */
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
