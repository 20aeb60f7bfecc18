import { randomUUID } from 'node:crypto';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { BrokerUnavailableError } from './errors';
import { createReplyCollector, MAX_WAITERS } from './pidbox-replies';

export interface NodeReplyValue {
  node: string;
  value: unknown;
}

export interface PidboxRequest {
  method: string;
  arguments: Record<string, unknown>;
  /** Exact nodenames; empty means every worker. */
  destination: string[];
  /** false = cast: publish and return at once with no replies. */
  reply: boolean;
  /** Idle gap between replies that ends collection (as kombu's Mailbox does), ms. */
  timeoutMs: number;
  /** Reply bytes kept for this call; collection ends once replies reach it. Default MAX_CALL_REPLY_BYTES. */
  maxReplyBytes?: number;
}

const REQUEST_EXCHANGE = 'celery.pidbox';
const REPLY_EXCHANGE = 'reply.celery.pidbox';

export { MAX_CALL_REPLY_BYTES } from './pidbox-replies';

/** The body kombu's Mailbox sends: a cast has no ticket and no reply_to. */
export function pidboxRequestBody(
  request: PidboxRequest,
  ticket: string,
  replyTo: { exchange: string; routing_key: string },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    method: request.method,
    arguments: request.arguments,
    destination: request.destination.length > 0 ? request.destination : null,
    pattern: null,
    matcher: null,
  };
  if (request.reply) Object.assign(body, { ticket, reply_to: replyTo });
  return body;
}

/**
 * Celery remote control over one broker connection, as kombu's Mailbox does (docs/celery-events.md,
 * "Remote control and inspect"): requests go to the `celery.pidbox` fanout, replies come back on our
 * own exclusive queue bound to `reply.celery.pidbox` and are matched on the `ticket` header. No `clock`
 * header is sent, because amqplib would encode most integers in a way py-amqp misreads (see
 * int32Header in task-message.ts) and workers treat it as optional.
 */
export function createPidboxClient(options: { connection: ChannelModel; logger: Logger }) {
  const log = options.logger.child({ component: 'pidbox' });
  const replyKey = randomUUID();
  const replies = createReplyCollector({ logger: log });
  let channel: Promise<Channel> | undefined;

  async function open(): Promise<Channel> {
    const created = await options.connection.createChannel();
    created.on('error', (error) => log.warn({ err: error }, 'pidbox channel error'));
    created.on('close', () => {
      channel = undefined;
      replies.finishAll();
    });
    // Flags must match what workers declare (non-durable), or RabbitMQ closes the channel with 406.
    await created.assertExchange(REQUEST_EXCHANGE, 'fanout', { durable: false, autoDelete: false });
    await created.assertExchange(REPLY_EXCHANGE, 'direct', { durable: false, autoDelete: false });
    const { queue } = await created.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await created.bindQueue(queue, REPLY_EXCHANGE, replyKey);
    await created.consume(queue, onReply, { noAck: true });
    return created;
  }

  function onReply(message: ConsumeMessage | null): void {
    if (message) replies.offer(message.properties.headers?.ticket, message.content);
  }

  async function ensureChannel(): Promise<Channel> {
    channel ??= open().catch((error: unknown) => {
      channel = undefined;
      throw new BrokerUnavailableError('cannot open the pidbox channel', { cause: error });
    });
    return channel;
  }

  return {
    async call(request: PidboxRequest): Promise<NodeReplyValue[]> {
      const current = await ensureChannel();
      if (request.reply && replies.size >= MAX_WAITERS)
        throw new BrokerUnavailableError('too many control requests in flight');
      const ticket = randomUUID();
      const body = pidboxRequestBody(request, ticket, { exchange: REPLY_EXCHANGE, routing_key: replyKey });
      const collected = request.reply ? replies.collect(ticket, request) : Promise.resolve([]);
      try {
        current.publish(REQUEST_EXCHANGE, '', Buffer.from(JSON.stringify(body)), {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          deliveryMode: 1,
          priority: 0,
        });
      } catch (error) {
        replies.finish(ticket);
        throw new BrokerUnavailableError('cannot publish to celery.pidbox', { cause: error });
      }
      return collected;
    },

    async close(): Promise<void> {
      const current = channel;
      channel = undefined;
      replies.finishAll();
      if (current) await (await current.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}

export type PidboxClient = ReturnType<typeof createPidboxClient>;
