// The dashboard's part of the OpenAPI document: sign-in, charts, workflow, command record, re-run.
const nullable = (type: string) => ({ type: [type, 'null'] });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const object = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const array = (items: unknown) => ({ type: 'array', items });
const count = { type: 'integer', minimum: 0 };
const time = { type: 'string', format: 'date-time' };
const WINDOW = { range: { type: 'string' }, from: time, to: time, bucketSeconds: { type: 'integer' } };

export const dashboardSchemas = {
  SignIn: object({ key: { type: 'string', maxLength: 256 } }),
  Session: object({
    keyId: { type: ['string', 'null'], format: 'uuid' },
    name: nullable('string'),
    role: { enum: ['viewer', 'operator', 'support', 'admin'] },
    permissions: array({ enum: ['read', 'command', 'celery-stats', 'admin'] }),
    connections: array(object({ id: { type: 'string', format: 'uuid' }, name: { type: 'string' } })),
    csrfToken: {
      ...nullable('string'),
      description: 'Send as X-CSRF-Token on POST/PUT/PATCH/DELETE made with the cookie; null for a key.',
    },
  }),
  Overview: object({
    ...WINDOW,
    workers: object({ online: count, offline: count }),
    throughput: array(object({ t: time, succeeded: count, failed: count, retried: count })),
    totals: object({ succeeded: count, failed: count, retried: count }),
    failureRate: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    slowest: array(
      object({
        name: { type: 'string' },
        count,
        p50Runtime: { type: 'number' },
        p95Runtime: { type: 'number' },
      }),
    ),
    mostFailing: array(object({ name: { type: 'string' }, failed: count, total: count })),
    topExceptions: array(object({ exception: { type: 'string' }, count, lastSeen: time })),
    queues: array(object({ name: { type: 'string' }, messages: count, consumers: count })),
  }),
  QueueHistory: object({
    ...WINDOW,
    series: array(
      object({
        queue: { type: 'string' },
        points: array(object({ t: time, messages: count, consumers: count })),
      }),
    ),
  }),
  Workflow: object({
    rootId: { type: 'string' },
    truncated: { type: 'boolean', description: 'True when the root has more than 1000 tasks.' },
    tasks: array(ref('Task')),
  }),
  TaskActions: object({
    items: array(
      object({
        action: { enum: ['revoke', 'terminate', 'rerun'] },
        keyName: nullable('string'),
        at: time,
        newTaskId: nullable('string'),
      }),
    ),
  }),
  Rerun: object({ taskId: { type: 'string' }, rerunOf: { type: 'string' } }),
};
