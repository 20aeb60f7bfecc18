import { randomUUID } from 'node:crypto';
import type { SendTaskRequest } from '@celeriac/proto/control';
import { z } from 'zod';
import { InvalidArgumentError } from './errors';
import { pythonRepr } from './python-repr';

/** A Celery protocol v2 task message, ready for `channel.publish(exchange, routingKey, content, options)`. */
export interface TaskMessage {
  taskId: string;
  queue: string;
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: {
    contentType: 'application/json';
    contentEncoding: 'utf-8';
    correlationId: string;
    deliveryMode: 2;
    priority: number;
    expiration?: string;
    headers: Record<string, unknown>;
  };
}

const INT32_MAX = 2 ** 31 - 1;
const name = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s]+$/, 'no whitespace');
const isoDate = z.iso.datetime({ offset: true, local: true });

const sendTaskSchema = z.object({
  taskName: z.string().min(1).max(500),
  args: z.array(z.unknown()),
  kwargs: z.record(z.string(), z.unknown()),
  taskId: name.optional(),
  queue: name.optional(),
  exchange: z.string().max(255).optional(),
  routingKey: z.string().max(255).optional(),
  eta: isoDate.optional(),
  countdown: z
    .number()
    .min(0)
    .max(365 * 24 * 3600)
    .optional(),
  expires: isoDate.optional(),
  priority: z.number().int().min(0).max(255).optional(),
  retries: z.number().int().min(0).max(INT32_MAX).optional(),
  softTimeLimit: z.number().positive().max(INT32_MAX).optional(),
  timeLimit: z.number().positive().max(INT32_MAX).optional(),
});

/**
 * amqplib sizes integers itself and picks narrower tags that py-amqp misreads (300 arrives as the
 * string ','), so every integer header is forced to a signed 32-bit `I`.
 */
export function int32Header(value: number): { '!': 'int'; value: number } {
  return { '!': 'int', value };
}

function limitHeader(value: number | undefined): unknown {
  if (value === undefined) return null;
  return Number.isInteger(value) ? int32Header(value) : { '!': 'double', value };
}

/** Celery 5.2 parses fractional seconds literally as microseconds, so always send six digits. */
export function celeryIso(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text === '' ? 'null' : text) as unknown;
  } catch {
    throw new InvalidArgumentError(`${what} is not valid JSON`);
  }
}

export function buildTaskMessage(
  request: SendTaskRequest,
  context: { now: Date; origin: string },
): TaskMessage {
  const parsed = sendTaskSchema.safeParse({
    ...request,
    args: request.argsJson.trim() === '' ? [] : parseJson(request.argsJson, 'args_json'),
    kwargs: request.kwargsJson.trim() === '' ? {} : parseJson(request.kwargsJson, 'kwargs_json'),
  });
  if (!parsed.success) {
    throw new InvalidArgumentError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  const task = parsed.data;
  if (task.eta !== undefined && task.countdown !== undefined)
    throw new InvalidArgumentError('give eta or countdown, not both');
  const taskId = task.taskId ?? randomUUID();
  const queue = task.queue ?? 'celery';
  const eta =
    task.eta !== undefined
      ? celeryIso(new Date(task.eta))
      : task.countdown !== undefined
        ? celeryIso(new Date(context.now.getTime() + task.countdown * 1000))
        : null;
  const expiresAt = task.expires !== undefined ? new Date(task.expires) : undefined;

  const options: TaskMessage['options'] = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    correlationId: taskId,
    deliveryMode: 2,
    priority: task.priority ?? 0,
    headers: {
      lang: 'py',
      task: task.taskName,
      id: taskId,
      shadow: null,
      eta,
      expires: expiresAt ? celeryIso(expiresAt) : null,
      group: null,
      group_index: null,
      retries: int32Header(task.retries ?? 0),
      // [hard, soft]: the worker unpacks time_limit first, whatever Celery's message-protocol
      // documentation lists.
      timelimit: [limitHeader(task.timeLimit), limitHeader(task.softTimeLimit)],
      root_id: taskId,
      parent_id: null,
      argsrepr: pythonRepr(task.args, { tuple: true }).slice(0, 1024),
      kwargsrepr: pythonRepr(task.kwargs).slice(0, 1024),
      origin: context.origin,
      ignore_result: false,
      replaced_task_nesting: int32Header(0),
      stamped_headers: null,
      stamps: {},
    },
  };
  // As Python does: RabbitMQ drops the message itself once it expires, even before a worker sees it.
  if (expiresAt) options.expiration = String(Math.max(0, expiresAt.getTime() - context.now.getTime()));
  const body = [task.args, task.kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }];
  return {
    taskId,
    queue,
    // No exchange given: the anonymous exchange routes by queue name, as Celery's client does.
    exchange: task.exchange ?? '',
    routingKey: task.routingKey ?? queue,
    content: Buffer.from(JSON.stringify(body)),
    options,
  };
}

/**
 * The `task-sent` event a Python client emits after publishing (docs/celery-events.md, "Sending a
 * task"), so monitors show the task as PENDING before a worker receives it. Receivers replace `clock`
 * for task-sent anyway.
 */
export function taskSentEvent(
  message: TaskMessage,
  context: { hostname: string; now: Date; pid: number },
): Buffer {
  const headers = message.options.headers;
  const retries = headers.retries as { value: number };
  return Buffer.from(
    JSON.stringify({
      type: 'task-sent',
      uuid: message.taskId,
      root_id: headers.root_id,
      parent_id: headers.parent_id,
      name: headers.task,
      args: headers.argsrepr,
      kwargs: headers.kwargsrepr,
      retries: retries.value,
      eta: headers.eta,
      expires: headers.expires,
      queue: message.queue,
      exchange: message.exchange,
      routing_key: message.routingKey,
      hostname: context.hostname,
      // Hours west of UTC, floored, as Celery computes it.
      utcoffset: Math.floor(context.now.getTimezoneOffset() / 60),
      pid: context.pid,
      clock: 0,
      timestamp: context.now.getTime() / 1000,
    }),
  );
}
