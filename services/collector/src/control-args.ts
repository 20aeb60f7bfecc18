import { z } from 'zod';
import { InvalidArgumentError } from './errors';

const taskName = z.string().min(1).max(500);
const nodeName = z.string().min(1).max(255);
const positiveInt = z.number().int().min(1).max(10_000);
const seconds = z
  .number()
  .positive()
  .max(7 * 24 * 3600)
  .nullable();
const noArgs = z.strictObject({});

// Wire arguments per remote-control command (the arguments Celery's control handlers take; see
// docs/celery-events.md, "Remote control and inspect"). Workers do no type coercion and
// reject unknown keys for several handlers, so every schema is strict.
const broadcastArgs = {
  shutdown: z.strictObject({ msg: z.string().max(1000).optional() }),
  pool_restart: z.strictObject({
    modules: z.array(z.string().min(1).max(500)).max(1000).nullable().optional(),
    reload: z.boolean().optional(),
    reloader: z.null().optional(),
  }),
  pool_grow: z.strictObject({ n: positiveInt.optional() }),
  pool_shrink: z.strictObject({ n: positiveInt.optional() }),
  autoscale: z.strictObject({
    max: z.number().int().min(0).max(10_000),
    min: z.number().int().min(0).max(10_000),
  }),
  add_consumer: z.strictObject({
    queue: z.string().min(1).max(255),
    exchange: z.string().max(255).nullable().optional(),
    exchange_type: z.enum(['direct', 'topic', 'fanout', 'headers']).nullable().optional(),
    routing_key: z.string().max(255).nullable().optional(),
    queue_arguments: z.record(z.string(), z.unknown()).optional(),
    binding_arguments: z.record(z.string(), z.unknown()).optional(),
    durable: z.boolean().optional(),
    exchange_durable: z.boolean().optional(),
    auto_delete: z.boolean().optional(),
  }),
  cancel_consumer: z.strictObject({ queue: z.string().min(1).max(255) }),
  rate_limit: z.strictObject({
    task_name: taskName,
    rate_limit: z.union([
      z.string().regex(/^(\d+(\.\d+)?(\/[smh])?)?$/, 'like "10/m"'),
      z.number().min(0),
      z.null(),
    ]),
  }),
  time_limit: z.strictObject({ task_name: taskName, soft: seconds.optional(), hard: seconds.optional() }),
  revoke: z.strictObject({
    task_id: z.union([z.string().min(1).max(255), z.array(z.string().min(1).max(255)).min(1).max(10_000)]),
    terminate: z.boolean().optional(),
    // Workers accept only uppercase names (lowercase raises TypeError there) or a signal number.
    signal: z
      .union([
        z.string().regex(/^(SIG)?[A-Z0-9]{2,10}$/, 'an uppercase signal name'),
        z.number().int().min(1).max(64),
      ])
      .optional(),
  }),
  enable_events: noArgs,
  disable_events: noArgs,
  heartbeat: noArgs,
  ping: noArgs,
} as const;

const inspectArgs = {
  ping: noArgs,
  stats: noArgs,
  active_queues: noArgs,
  registered: z.strictObject({
    taskinfoitems: z.array(z.string().min(1).max(100)).max(50).optional(),
    builtins: z.boolean().optional(),
  }),
  active: z.strictObject({ safe: z.boolean().nullable().optional() }),
  reserved: noArgs,
  scheduled: noArgs,
  revoked: noArgs,
  conf: z.strictObject({ with_defaults: z.boolean().optional() }),
  query_task: z.strictObject({ ids: z.array(z.string().min(1).max(255)).min(1).max(10_000) }),
  clock: noArgs,
  report: noArgs,
} as const;

export type BroadcastCommand = keyof typeof broadcastArgs;
export type InspectMethod = keyof typeof inspectArgs;
export const SNAPSHOT_INSPECT_METHODS: InspectMethod[] = [
  'stats',
  'active_queues',
  'registered',
  'active',
  'reserved',
  'scheduled',
  'revoked',
  'conf',
];

export interface ValidatedCall {
  method: string;
  arguments: Record<string, unknown>;
  destination: string[];
  timeoutMs: number;
}

function parseJsonObject(text: string, what: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidArgumentError(`${what} is not valid JSON`);
  }
}

function validate(
  table: Record<string, z.ZodType>,
  kind: string,
  request: { method: string; argumentsJson: string; destination: string[]; timeoutSeconds: number },
): ValidatedCall {
  const schema = Object.hasOwn(table, request.method) ? table[request.method] : undefined;
  if (!schema)
    throw new InvalidArgumentError(
      `unknown ${kind} ${JSON.stringify(request.method.slice(0, 100))}; one of ${Object.keys(table).join(', ')}`,
    );
  const parsed = schema.safeParse(parseJsonObject(request.argumentsJson, 'arguments_json'));
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `bad arguments for ${request.method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  const destination = z.array(nodeName).max(1000).safeParse(request.destination);
  if (!destination.success)
    throw new InvalidArgumentError('destination must be at most 1000 non-empty worker nodenames');
  if (!Number.isFinite(request.timeoutSeconds) || request.timeoutSeconds < 0 || request.timeoutSeconds > 60) {
    throw new InvalidArgumentError('timeout_seconds must be between 0 and 60');
  }
  return {
    method: request.method,
    arguments: parsed.data as Record<string, unknown>,
    destination: destination.data,
    timeoutMs: request.timeoutSeconds > 0 ? Math.round(request.timeoutSeconds * 1000) : 1000,
  };
}

export function validateBroadcast(request: {
  command: string;
  argumentsJson: string;
  destination: string[];
  timeoutSeconds: number;
}): ValidatedCall {
  return validate(broadcastArgs, 'command', { ...request, method: request.command });
}

export function validateInspect(request: {
  method: string;
  argumentsJson: string;
  destination: string[];
  timeoutSeconds: number;
}): ValidatedCall {
  return validate(inspectArgs, 'inspect method', request);
}
