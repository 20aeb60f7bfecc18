import { schemas } from './openapi-schemas';

const RANGE: Param = ['range', 'string', '15m, 1h (default), 6h, 24h, 7d or 30d'];

type Param = [name: string, type: 'string' | 'integer' | 'number' | 'boolean', description: string];
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string) => ({ content: { 'application/json': { schema: ref(schema) } } });
const errors = {
  '400': { description: 'Bad parameter', ...json('Error') },
  '401': { description: 'No or unknown API key', ...json('Error') },
  '403': { description: "The key's role does not allow it, or the worker refused", ...json('Error') },
  '404': { description: 'Unknown worker, task or connection', ...json('Error') },
  '429': { description: 'A quota is used up; see Retry-After', ...json('Error') },
  '503': { description: 'Broker or collector unavailable', ...json('Error') },
};
const connectionParams = [
  { name: 'connectionId', in: 'query', schema: { type: 'string', format: 'uuid' } },
  { name: 'X-Celeriac-Connection', in: 'header', schema: { type: 'string', format: 'uuid' } },
];

function op(summary: string, ok: string, query: Param[] = [], path: string[] = [], status = '200') {
  return {
    summary,
    parameters: [
      ...path.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...query.map(([name, type, description]) => ({ name, in: 'query', description, schema: { type } })),
      ...connectionParams,
    ],
    responses: { [status]: { description: 'OK', ...json(ok) }, ...errors },
  };
}

const TASK_FILTERS: Param[] = [
  ['workername', 'string', 'exact worker nodename; All = any'],
  ['taskname', 'string', 'exact task name; All = any'],
  ['state', 'string', 'task state; All = any'],
  ['received_start', 'string', "'YYYY-MM-DD HH:MM' (UTC), inclusive"],
  ['received_end', 'string', "'YYYY-MM-DD HH:MM' (UTC), inclusive"],
  [
    'search',
    'string',
    'Flower 2.1 search language (name:, state:, worker:, args:, kwargs:, result:, AND, OR, ())',
  ],
];
const body = (schema: string) => ({ required: true, ...json(schema) });

const dashboardPaths = {
  '/api/v1/session': {
    post: {
      summary: 'Sign in with an API key: sets the HttpOnly session cookie celeriac_session',
      security: [],
      requestBody: body('SignIn'),
      responses: {
        '200': { description: 'Signed in', ...json('Session') },
        '400': errors['400'],
        '401': errors['401'],
        '429': { description: 'Too many failed sign-ins from this address', ...json('Error') },
      },
    },
    get: op('Who is signed in (key or session), with the CSRF token', 'Session'),
    delete: {
      summary: 'Sign out: deletes the session and clears the cookie (needs X-CSRF-Token)',
      responses: { '204': { description: 'Signed out' }, ...errors },
    },
  },
  '/api/v1/overview': {
    get: op('Workers, throughput, failures and queues over a range', 'Overview', [RANGE]),
  },
  '/api/v1/queues/history': { get: op('Queue depth and consumers per bucket', 'QueueHistory', [RANGE]) },
  '/api/v1/tasks/{taskId}/workflow': {
    get: op('Every task of the same root (chains, groups, chords), at most 1000', 'Workflow', [], ['taskId']),
  },
  '/api/v1/tasks/{taskId}/actions': {
    get: op(
      'Revokes, terminations and re-runs sent for the task, newest first',
      'TaskActions',
      [],
      ['taskId'],
    ),
  },
  '/api/v1/tasks/{taskId}/rerun': {
    post: {
      ...op(
        'Send the finished task again (same name, args, kwargs, routing)',
        'Rerun',
        [],
        ['taskId'],
        '202',
      ),
      responses: {
        ...op('', 'Rerun', [], ['taskId'], '202').responses,
        '409': {
          description: 'The task is not finished, or its arguments cannot be read back',
          ...json('Error'),
        },
      },
    },
  },
};

/** The OpenAPI 3.1 document served at /api/openapi.json; a test validates real responses against it. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Celeriac gateway',
    version: '1.0.0',
    description:
      'Flower-compatible REST API, Waldur celery-stats and Celeriac /api/v1. Authenticate with ' +
      '`Authorization: Bearer <key>` (or `Token <key>`, or `?token=`), or with the dashboard session cookie ' +
      'from POST /api/v1/session (then commands need `X-CSRF-Token`). A key bound to one connection needs no ' +
      'connection selector. Errors are always `{"error": "..."}`.',
  },
  components: {
    schemas,
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      session: { type: 'apiKey', in: 'cookie', name: 'celeriac_session' },
    },
  },
  security: [{ bearer: [] }, { session: [] }],
  paths: {
    '/api/workers': {
      get: op('Workers and their latest inspect replies', 'FlowerWorkers', [
        ['refresh', 'boolean', 'run a (coalesced) inspect round first'],
        ['status', 'boolean', 'answer {nodename: alive} instead'],
        ['workername', 'string', 'only this worker'],
      ]),
    },
    '/api/worker/shutdown/{worker}': { post: op('Shut a worker down', 'Message', [], ['worker']) },
    '/api/worker/pool/restart/{worker}': { post: op("Restart a worker's pool", 'Message', [], ['worker']) },
    '/api/worker/pool/grow/{worker}': {
      post: op('Grow the pool', 'Message', [['n', 'integer', 'default 1']], ['worker']),
    },
    '/api/worker/pool/shrink/{worker}': {
      post: op('Shrink the pool', 'Message', [['n', 'integer', 'default 1']], ['worker']),
    },
    '/api/worker/pool/autoscale/{worker}': {
      post: op(
        'Set autoscale bounds',
        'Message',
        [
          ['min', 'integer', 'required'],
          ['max', 'integer', 'required'],
        ],
        ['worker'],
      ),
    },
    '/api/worker/queue/add-consumer/{worker}': {
      post: op('Consume from a queue', 'Message', [['queue', 'string', 'required']], ['worker']),
    },
    '/api/worker/queue/cancel-consumer/{worker}': {
      post: op('Stop consuming from a queue', 'Message', [['queue', 'string', 'required']], ['worker']),
    },
    '/api/tasks': {
      get: op('Tasks keyed by uuid, in result order', 'TaskMap', [
        ['limit', 'integer', '0 or negative = none; capped at the configured page size'],
        ['offset', 'integer', 'skip after sorting; negative = 0'],
        ['sort_by', 'string', "name, state, received or started; leading '-' = descending"],
        ...TASK_FILTERS,
      ]),
    },
    '/api/task/types': { get: op('Task names seen', 'TaskTypes') },
    '/api/queues/length': {
      get: op('Queue depth and consumers (no management plugin needed)', 'FlowerQueues'),
    },
    '/api/task/info/{taskid}': { get: op('One task', 'Task', [], ['taskid']) },
    '/api/task/apply/{taskname}': {
      post: {
        ...op('Send a task and wait for its result', 'TaskResult', [], ['taskname']),
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
    '/api/task/async-apply/{taskname}': {
      post: {
        ...op('Send a registered task', 'TaskSent', [], ['taskname']),
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
    '/api/task/send-task/{taskname}': {
      post: {
        ...op('Send a task by name', 'TaskSent', [], ['taskname']),
        requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
    '/api/task/result/{taskid}': {
      get: op(
        'State and result from the read model',
        'TaskResult',
        [['timeout', 'number', 'seconds to wait, 0-300']],
        ['taskid'],
      ),
    },
    '/api/task/abort/{taskid}': {
      post: op('Abort (needs a result backend: always 503)', 'Message', [], ['taskid']),
    },
    '/api/task/timeout/{taskname}': {
      post: op(
        'Set time limits on a worker',
        'Message',
        [
          ['workername', 'string', 'required'],
          ['hard', 'number', 'seconds'],
          ['soft', 'number', 'seconds'],
        ],
        ['taskname'],
      ),
    },
    '/api/task/rate-limit/{taskname}': {
      post: op(
        'Set a rate limit on a worker',
        'Message',
        [
          ['workername', 'string', 'required'],
          ['ratelimit', 'string', 'e.g. 10/m; empty disables'],
        ],
        ['taskname'],
      ),
    },
    '/api/task/revoke/{taskid}': {
      post: op(
        'Revoke (optionally terminate) a task',
        'Message',
        [
          ['terminate', 'boolean', 'kill it if running'],
          ['signal', 'string', 'default SIGTERM'],
        ],
        ['taskid'],
      ),
    },
    '/api/celery-stats/': { get: op("Waldur's celery stats (support role)", 'CeleryStats') },
    '/api/v1/tasks': {
      get: op('Cursor-paginated tasks, newest first unless sorted', 'TaskPage', [
        ['limit', 'integer', '1-1000, default 100'],
        ['cursor', 'string', 'nextCursor of the previous page (same sort)'],
        [
          'sort',
          'string',
          "timestamp (default -timestamp), received, started or runtime; leading '-' = descending",
        ],
        ['queue', 'string', 'queue the task was routed to (up to 255 characters)'],
        ...TASK_FILTERS,
      ]),
    },
    '/api/v1/tasks/{taskId}': { get: op('One task', 'TaskDetail', [], ['taskId']) },
    ...dashboardPaths,
    '/api/v1/tasks/{taskId}/events': {
      get: op(
        'Event history of a task in log order',
        'TaskEventPage',
        [
          ['after', 'integer', 'nextAfter of the previous page'],
          ['limit', 'integer', '1-1000, default 100'],
        ],
        ['taskId'],
      ),
    },
    '/api/v1/workers': { get: op('Workers', 'WorkerList') },
    '/api/v1/queues': { get: op('Queues', 'QueueList') },
    '/api/v1/connections': {
      get: op('Connections this admin key sees', 'ConnectionList'),
      post: { ...op('Add a connection', 'Connection', [], [], '201'), requestBody: body('NewConnection') },
    },
    '/api/v1/connections/{connectionId}': {
      delete: {
        summary: 'Delete a connection',
        parameters: [{ name: 'connectionId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '204': { description: 'Deleted' }, ...errors },
      },
    },
    '/api/v1/connections/{connectionId}/gaps': {
      get: {
        summary: 'Windows of missed events of a connection, newest first',
        parameters: [
          { name: 'connectionId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          { name: 'limit', in: 'query', description: '1-1000, default 100', schema: { type: 'integer' } },
          {
            name: 'before',
            in: 'query',
            description: 'nextBefore of the previous page',
            schema: { type: 'integer' },
          },
        ],
        responses: { '200': { description: 'OK', ...json('EventGapPage') }, ...errors },
      },
    },
    '/api/v1/keys': {
      get: op('API keys (never their secrets)', 'ApiKeyList'),
      post: {
        ...op('Create a key; the secret is in this response only', 'CreatedApiKey', [], [], '201'),
        requestBody: body('NewApiKey'),
      },
    },
    '/api/v1/keys/{keyId}': {
      delete: {
        summary: 'Revoke a key',
        parameters: [{ name: 'keyId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '204': { description: 'Revoked' }, ...errors },
      },
    },
  },
};
