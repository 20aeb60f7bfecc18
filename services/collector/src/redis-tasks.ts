import type { Redis } from 'ioredis';
import { BrokerUnavailableError, InvalidArgumentError } from './errors';
import type { NodeReplyValue } from './pidbox';
import { encodeEnvelope } from './redis-envelope';
import { PRIORITY_SEP, priorityStep, type RedisNames } from './redis-names';
import { type TaskMessage, taskSentEvent } from './task-message';

/** Most bindings read from one exchange's routing set. */
const MAX_BINDINGS = 10_000;

/**
 * amqplib's typed header values ({'!': 'int' | 'double', value}, also inside the timelimit array) as
 * the plain numbers JSON carries. Headers are built by task-message.ts, so nesting is shallow.
 */
function plainHeader(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainHeader);
  const typed = value as { '!'?: unknown; value?: unknown } | null;
  if (typed && typeof typed === 'object' && (typed['!'] === 'int' || typed['!'] === 'double'))
    return typed.value;
  return value;
}

function plainHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(headers)) plain[key] = plainHeader(value);
  return plain;
}

/**
 * The queues a message reaches, as kombu routes on Redis: the anonymous exchange by queue name (the
 * queue must be known: bound under its own name, as Celery declares queues, or holding messages), a
 * named exchange through its routing set, matching the routing key exactly or a `#` binding.
 */
async function targetQueues(command: Redis, names: RedisNames, message: TaskMessage): Promise<string[]> {
  if (message.exchange === '') {
    const queue = message.routingKey;
    const self = `${queue}${PRIORITY_SEP}${PRIORITY_SEP}${queue}`;
    const [bound, held] = await Promise.all([
      command.sismember(names.bindings(queue), self),
      command.exists(
        names.queueKey(queue, 0),
        names.queueKey(queue, 3),
        names.queueKey(queue, 6),
        names.queueKey(queue, 9),
      ),
    ]);
    if (!bound && !held) throw new InvalidArgumentError(`queue ${queue} does not exist on the broker`);
    return [queue];
  }
  const members = await command.srandmember(names.bindings(message.exchange), MAX_BINDINGS);
  if (members.length === 0)
    throw new InvalidArgumentError(`exchange ${message.exchange} does not exist on the broker`);
  const queues = new Set<string>();
  for (const member of members) {
    const [key, , queue] = member.split(PRIORITY_SEP);
    if (queue && (key === message.routingKey || key === '#')) queues.add(queue);
  }
  if (queues.size === 0)
    throw new InvalidArgumentError(
      `exchange ${message.exchange} routes routing key ${message.routingKey} to no queue`,
    );
  return [...queues];
}

/**
 * Pushes a task onto its queue's list for the message's priority step, in kombu's envelope (LPUSH:
 * workers pop from the other end, oldest first), then publishes its task-sent event, best effort.
 */
export async function publishRedisTask(deps: {
  command: Redis;
  names: RedisNames;
  message: TaskMessage;
  origin: string;
}): Promise<void> {
  const { command, names, message } = deps;
  let queues: string[];
  try {
    queues = await targetQueues(command, names, message);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new BrokerUnavailableError('cannot look up the task queue', { cause: error });
  }
  // kombu clamps a message priority into 0..9, then rounds it down to a step of its lists.
  const step = priorityStep(Math.min(9, Math.max(0, message.options.priority)));
  const envelope = encodeEnvelope({
    body: message.content,
    contentType: message.options.contentType,
    contentEncoding: message.options.contentEncoding,
    headers: plainHeaders(message.options.headers),
    exchange: message.exchange,
    routingKey: message.routingKey,
    priority: message.options.priority,
    deliveryMode: 2,
    properties: { correlation_id: message.options.correlationId },
  });
  try {
    const pipeline = command.multi();
    for (const queue of queues) pipeline.lpush(names.queueKey(queue, step), envelope);
    await pipeline.exec();
  } catch (error) {
    throw new BrokerUnavailableError('Redis did not take the task message', { cause: error });
  }
  const event = taskSentEvent(message, { hostname: deps.origin, now: new Date(), pid: process.pid });
  const sent = encodeEnvelope({
    body: event,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    headers: { hostname: deps.origin },
    exchange: names.eventExchange,
    routingKey: 'task.sent',
    deliveryMode: 1,
  });
  await command.publish(names.eventTopic('task.sent'), sent).catch(() => undefined);
}

/** Workers consuming each queue, from `active_queues` replies ({node: [{name}, ...]}). */
export function consumersByQueue(replies: NodeReplyValue[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { value } of replies) {
    if (!Array.isArray(value)) continue;
    for (const queue of value) {
      const name = (queue as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && counts.size < 10_000) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}
