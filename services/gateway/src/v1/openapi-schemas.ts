import { dashboardSchemas } from './openapi-dashboard';

/** JSON Schema 2020-12 components of the OpenAPI document (3.1 uses JSON Schema as is). */
const nullable = (type: string) => ({ type: [type, 'null'] });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const TASK_FIELDS: Record<string, unknown> = {
  uuid: { type: 'string' },
  name: nullable('string'),
  state: { type: 'string' },
  received: nullable('number'),
  sent: nullable('number'),
  started: nullable('number'),
  rejected: nullable('number'),
  succeeded: nullable('number'),
  failed: nullable('number'),
  retried: nullable('number'),
  revoked: nullable('number'),
  args: nullable('string'),
  kwargs: nullable('string'),
  eta: nullable('string'),
  expires: nullable('string'),
  retries: nullable('integer'),
  worker: nullable('string'),
  result: nullable('string'),
  exception: nullable('string'),
  timestamp: nullable('number'),
  runtime: nullable('number'),
  traceback: nullable('string'),
  exchange: nullable('string'),
  routing_key: nullable('string'),
  clock: nullable('integer'),
  client: nullable('string'),
  root: nullable('string'),
  root_id: nullable('string'),
  parent: nullable('string'),
  parent_id: nullable('string'),
  children: { type: 'array', items: { type: 'string' } },
};
const TASK_REQUIRED = Object.keys(TASK_FIELDS).filter((key) => key !== 'worker');

const object = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const list = (item: string) => object({ items: { type: 'array', items: ref(item) } });
const API_KEY_FIELDS = {
  keyId: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  keyPrefix: { type: 'string' },
  role: { enum: ['viewer', 'operator', 'support', 'admin'] },
  allConnections: { type: 'boolean' },
  connectionIds: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'string', format: 'date-time' },
  revokedAt: { type: ['string', 'null'], format: 'date-time' },
};
const perWorker = { type: ['object', 'null'], additionalProperties: true };

export const schemas = {
  ...dashboardSchemas,
  Error: object({ error: { type: 'string' } }),
  Message: object({ message: { type: 'string' } }),
  Task: {
    ...object(TASK_FIELDS, TASK_REQUIRED),
    description:
      "Celery's task as Flower shows it; `worker` is left out by /api/tasks when no worker saw the task.",
  },
  TaskDetail: {
    ...object({ ...TASK_FIELDS, rerunOf: nullable('string') }, [...TASK_REQUIRED, 'rerunOf']),
    description: 'A task, and the task it was sent to re-run (`rerunOf`) when it is a re-run.',
  },
  TaskMap: {
    type: 'object',
    additionalProperties: ref('Task'),
    description: 'Task uuid -> task, in result order.',
  },
  TaskTypes: object({ 'task-types': { type: 'array', items: { type: 'string' } } }),
  TaskPage: object({ items: { type: 'array', items: ref('Task') }, nextCursor: nullable('string') }),
  TaskEvent: object({
    eventId: { type: 'string' },
    type: { type: 'string' },
    hostname: { type: 'string' },
    timestamp: { type: 'number' },
    clock: nullable('integer'),
    receivedAt: { type: 'string', format: 'date-time' },
    partition: { type: 'integer' },
    offset: { type: 'integer' },
    fields: { type: 'object' },
  }),
  TaskEventPage: object({
    items: { type: 'array', items: ref('TaskEvent') },
    nextAfter: nullable('integer'),
  }),
  TaskResult: object(
    {
      'task-id': { type: 'string' },
      state: { type: 'string' },
      result: nullable('string'),
      traceback: nullable('string'),
      note: { type: 'string' },
    },
    ['task-id', 'state', 'note'],
  ),
  TaskSent: object({ 'task-id': { type: 'string' }, state: { type: 'string' } }),
  FlowerWorkers: {
    type: 'object',
    description:
      'Worker nodename -> latest inspect reply per method plus `timestamp`; or nodename -> alive with status=1.',
    additionalProperties: { type: ['object', 'boolean'] },
  },
  FlowerQueues: object({
    active_queues: {
      type: 'array',
      items: object({
        name: { type: 'string' },
        messages: { type: 'integer' },
        consumers: { type: 'integer' },
      }),
    },
  }),
  CeleryStats: object({
    active: perWorker,
    scheduled: perWorker,
    reserved: perWorker,
    revoked: perWorker,
    query_task: perWorker,
    stats: perWorker,
  }),
  Worker: object({
    hostname: { type: 'string' },
    online: { type: 'boolean' },
    alive: { type: 'boolean' },
    pid: nullable('integer'),
    freq: nullable('number'),
    active: nullable('integer'),
    processed: nullable('integer'),
    loadavg: { type: ['array', 'null'], items: { type: 'number' } },
    swIdent: nullable('string'),
    swVer: nullable('string'),
    swSys: nullable('string'),
    lastHeartbeat: nullable('number'),
    inspectedAt: nullable('number'),
    inspect: { type: 'object' },
  }),
  WorkerList: list('Worker'),
  Queue: object({
    name: { type: 'string' },
    messages: { type: 'integer' },
    consumers: { type: 'integer' },
    sampledAt: { type: 'string', format: 'date-time' },
  }),
  QueueList: list('Queue'),
  EventGap: {
    ...object({
      gapId: { type: 'integer' },
      cause: { enum: ['buffer-full', 'disconnected', 'subscribed'] },
      collectorId: { type: 'string' },
      startedAt: { type: 'string', format: 'date-time' },
      endedAt: { type: ['string', 'null'], format: 'date-time' },
      droppedMessages: nullable('integer'),
      droppedBytes: nullable('integer'),
    }),
    description:
      'A window in which events of the connection were not (all) seen. buffer-full: Kafka was slow and the counted messages were dropped; disconnected: the broker subscription was lost until endedAt (uncounted); subscribed: a (re)subscription at startedAt, before which events (e.g. during a collector takeover) were not seen. endedAt is null while a window is open.',
  },
  EventGapPage: object({ items: { type: 'array', items: ref('EventGap') }, nextBefore: nullable('integer') }),
  Connection: object({
    connectionId: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    options: { type: 'object' },
    createdAt: { type: 'string', format: 'date-time' },
  }),
  ConnectionList: list('Connection'),
  NewConnection: object(
    { name: { type: 'string' }, brokerUrl: { type: 'string' }, options: { type: 'object' } },
    ['name', 'brokerUrl'],
  ),
  ApiKey: object(API_KEY_FIELDS),
  ApiKeyList: list('ApiKey'),
  CreatedApiKey: object({
    ...API_KEY_FIELDS,
    key: { type: 'string', description: 'The secret; shown only in this response.' },
  }),
  NewApiKey: object(
    {
      name: { type: 'string' },
      role: { enum: ['viewer', 'operator', 'support', 'admin'] },
      allConnections: { type: 'boolean' },
      connectionIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
    },
    ['name', 'role'],
  ),
};
