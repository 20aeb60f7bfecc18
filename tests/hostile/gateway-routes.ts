/**
 * Every route of the gateway (services/gateway/src: http/app.ts, flower/, v1/, waldur/, streams/,
 * http/ops-routes.ts) with its parameters and a valid example of each, so a generated request can be
 * valid everywhere except in the one place it attacks.
 */
export interface RouteSpec {
  methods: string[];
  /** `:name` segments are path parameters. */
  template: string;
  /** Query/form parameters with a valid example. */
  params?: Record<string, string>;
  /** JSON body members with a valid example (as JSON text). */
  json?: Record<string, string>;
  /** A success answer never ends (SSE): the client stops reading at the headers. */
  stream?: boolean;
}

/** What the running stack has, so valid examples name real things. */
export interface RouteContext {
  connectionId: string;
  workerName: string;
  taskId: string;
}

const TASK_FILTERS = {
  workername: '{worker}',
  taskname: 'tasks.add',
  state: 'SUCCESS',
  received_start: '2026-01-01 00:00',
  received_end: '2030-01-01 00:00',
  search: 'name:add',
};

/**
 * Worker commands and revocations are valid except for their target, which is never the real worker
 * or a real task, and time/rate limits only ever name tasks.sleep: the suite checks that the real
 * worker's tasks all complete.
 */
export const ROUTES: RouteSpec[] = [
  {
    methods: ['GET'],
    template: '/api/workers',
    params: { refresh: '1', status: 'true', workername: '{worker}' },
  },
  { methods: ['POST'], template: '/api/worker/shutdown/:worker' },
  { methods: ['POST'], template: '/api/worker/pool/restart/:worker' },
  { methods: ['POST'], template: '/api/worker/pool/grow/:worker', params: { n: '1' } },
  { methods: ['POST'], template: '/api/worker/pool/shrink/:worker', params: { n: '1' } },
  { methods: ['POST'], template: '/api/worker/pool/autoscale/:worker', params: { min: '1', max: '2' } },
  { methods: ['POST'], template: '/api/worker/queue/add-consumer/:worker', params: { queue: 'q' } },
  { methods: ['POST'], template: '/api/worker/queue/cancel-consumer/:worker', params: { queue: 'q' } },
  {
    methods: ['GET'],
    template: '/api/tasks',
    params: { limit: '10', offset: '0', sort_by: '-received', ...TASK_FILTERS },
  },
  { methods: ['GET'], template: '/api/task/types' },
  { methods: ['GET'], template: '/api/queues/length' },
  { methods: ['GET'], template: '/api/task/info/:taskid' },
  { methods: ['GET'], template: '/api/task/info/' },
  ...['apply', 'async-apply', 'send-task'].map((verb) => ({
    methods: ['POST'],
    template: `/api/task/${verb}/:taskname`,
    json: {
      args: '[1,2]',
      kwargs: '{}',
      countdown: '0',
      expires: '60',
      eta: '"2030-01-01 00:00:00.000000"',
      queue: '"celery"',
      priority: '1',
      retries: '0',
      soft_time_limit: '5',
      time_limit: '10',
      task_id: '"hostile-task"',
      routing_key: '"celery"',
      exchange: '""',
    },
  })),
  { methods: ['GET'], template: '/api/task/result/:taskid', params: { timeout: '0' } },
  { methods: ['POST'], template: '/api/task/abort/:ghosttask' },
  // On the real worker, for a task the Celery client never sends: the limits are parsed and applied.
  {
    methods: ['POST'],
    template: '/api/task/timeout/:limitedtask',
    params: { workername: '{worker}', hard: '10', soft: '5' },
  },
  {
    methods: ['POST'],
    template: '/api/task/rate-limit/:limitedtask',
    params: { workername: '{worker}', ratelimit: '10/m' },
  },
  {
    methods: ['POST'],
    template: '/api/task/revoke/:ghosttask',
    params: { terminate: 'false', signal: 'SIGTERM' },
  },
  { methods: ['GET'], template: '/api/celery-stats/' },
  { methods: ['GET'], template: '/api/celery-stats' },
  { methods: ['GET'], template: '/api/v1/tasks', params: { limit: '10', cursor: '', ...TASK_FILTERS } },
  { methods: ['GET'], template: '/api/v1/tasks/:taskid' },
  { methods: ['GET'], template: '/api/v1/tasks/:taskid/events', params: { after: '0', limit: '10' } },
  { methods: ['GET'], template: '/api/v1/workers' },
  { methods: ['GET'], template: '/api/v1/queues' },
  {
    methods: ['GET', 'POST'],
    template: '/api/v1/connections',
    // Never a reachable broker: the suite must not make the collector consume anyone's vhost.
    json: { name: '"hostile"', brokerUrl: '"amqp://hostile:pw@127.0.0.1:1/x"', options: '{}' },
  },
  { methods: ['DELETE'], template: '/api/v1/connections/:randomid' },
  {
    methods: ['GET', 'POST'],
    template: '/api/v1/keys',
    json: { name: '"hostile"', role: '"viewer"', allConnections: 'false', connectionIds: '["{connection}"]' },
  },
  { methods: ['DELETE'], template: '/api/v1/keys/:randomid' },
  {
    methods: ['GET'],
    template: '/api/events/stream',
    params: { types: 'job', lastEventId: '' },
    stream: true,
  },
  { methods: ['GET'], template: '/api/openapi.json' },
  { methods: ['GET'], template: '/metrics' },
  { methods: ['GET'], template: '/healthz' },
  { methods: ['GET'], template: '/readyz' },
  { methods: ['GET'], template: '/healthcheck' },
  { methods: ['GET'], template: '/api/no-such-route' },
  { methods: ['GET'], template: '/' },
];

/** Valid examples of path parameters; `:worker`, `:ghosttask` and `:randomid` never name something real. */
export function pathExample(name: string, context: RouteContext): string {
  if (name === 'worker') return 'ghost@nowhere';
  if (name === 'ghosttask') return 'ghost-task-0000';
  if (name === 'taskid') return context.taskId;
  if (name === 'taskname') return 'tasks.add';
  if (name === 'limitedtask') return 'tasks.sleep';
  return '6f1c1d3e-0000-4000-a000-000000000000';
}

/** `{worker}` / `{connection}` placeholders of the examples, filled from the running stack. */
export function fillExample(example: string, context: RouteContext): string {
  return example.replaceAll('{worker}', context.workerName).replaceAll('{connection}', context.connectionId);
}
