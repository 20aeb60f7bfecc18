/**
 * The attack surface of the tenancy attack test: every HTTP route of the gateway, aimed at the names
 * of the other tenant (tenancy-attack.vectors.ts adds the ways of naming its connection). Pure data.
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
  { method: 'GET', path: () => '/api/v1/overview?range=30d' },
  { method: 'GET', path: () => '/api/v1/queues/history?range=30d' },
  { method: 'GET', path: (n) => `/api/v1/tasks/${n.task}/workflow` },
  { method: 'GET', path: (n) => `/api/v1/tasks/${n.task}/actions` },
  { method: 'POST', path: (n) => `/api/v1/tasks/${n.task}/rerun` },
  { method: 'GET', path: () => '/api/v1/workers' },
  { method: 'GET', path: () => '/api/v1/queues' },
  { method: 'GET', path: () => '/api/v1/connections', noSelector: true },
  { method: 'GET', path: (n) => `/api/v1/connections/${n.connection}/gaps` },
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
