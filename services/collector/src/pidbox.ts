import { randomUUID } from 'node:crypto';
import { BROKER_JSON_BOUNDS, exceedsJsonBounds } from '@celeriac/celery-domain/json-bounds';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { BrokerUnavailableError } from './errors';

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
/** Hard ceiling on one collection whatever the replies' pace, and on replies kept per request. */
const MAX_COLLECT_MS = 60_000;
const MAX_REPLIES = 10_000;
const MAX_WAITERS = 256;
/**
 * Reply bytes one call keeps: under gRPC's default 4 MiB message limit, so a Control reply always
 * reaches the gateway. Workers (or anyone who can publish to `reply.celery.pidbox`) choose the size
 * and count of replies; counting their bytes bounds what one call holds at any pace.
 */
export const MAX_CALL_REPLY_BYTES = 2 * 1024 * 1024;
/** One reply message above this is dropped unread: a whole cluster's stats fit in far less. */
const MAX_REPLY_MESSAGE_BYTES = 1024 * 1024;
const MAX_NODE_NAME_LENGTH = 255;
/** Reply bytes held by all calls of one connection at once (up to MAX_WAITERS calls run together). */
const MAX_HELD_REPLY_BYTES = 8 * 1024 * 1024;

interface Waiter {
  replies: NodeReplyValue[];
  bytes: number;
  maxBytes: number;
  limit: number;
  idle: NodeJS.Timeout | undefined;
  timeoutMs: number;
  finish: () => void;
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
  const waiters = new Map<string, Waiter>();
  let heldBytes = 0;
  let channel: Promise<Channel> | undefined;

  async function open(): Promise<Channel> {
    const created = await options.connection.createChannel();
    created.on('error', (error) => log.warn({ err: error }, 'pidbox channel error'));
    created.on('close', () => {
      channel = undefined;
      for (const waiter of waiters.values()) waiter.finish();
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
    if (!message) return;
    const ticket = message.properties.headers?.ticket;
    const waiter = typeof ticket === 'string' ? waiters.get(ticket) : undefined;
    if (!waiter) return;
    const size = message.content.length;
    // An oversize message is dropped without touching the idle timer, so a stream of them cannot
    // keep a collection open; replies past the call's budget end it with what it holds.
    if (size > MAX_REPLY_MESSAGE_BYTES) {
      log.warn({ ticket, bytes: size }, 'oversize pidbox reply dropped');
      return;
    }
    if (waiter.bytes + size > waiter.maxBytes || heldBytes + size > MAX_HELD_REPLY_BYTES) {
      log.warn(
        { ticket, bytes: waiter.bytes + size },
        'pidbox replies over the byte budget; collection ends',
      );
      waiter.finish();
      return;
    }
    waiter.bytes += size;
    heldBytes += size;
    const body = parseReply(message.content);
    if (body === undefined) log.warn({ ticket }, 'unusable pidbox reply ignored');
    else {
      for (const node of Object.keys(body)) {
        if (node.length > MAX_NODE_NAME_LENGTH || waiter.replies.length >= MAX_REPLIES) continue;
        waiter.replies.push({ node, value: body[node] });
      }
    }
    if (waiter.replies.length >= waiter.limit) {
      waiter.finish();
      return;
    }
    if (waiter.idle) clearTimeout(waiter.idle);
    waiter.idle = setTimeout(waiter.finish, waiter.timeoutMs);
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
      if (request.reply && waiters.size >= MAX_WAITERS)
        throw new BrokerUnavailableError('too many control requests in flight');
      const ticket = randomUUID();
      const body: Record<string, unknown> = {
        method: request.method,
        arguments: request.arguments,
        destination: request.destination.length > 0 ? request.destination : null,
        pattern: null,
        matcher: null,
      };
      if (request.reply)
        Object.assign(body, { ticket, reply_to: { exchange: REPLY_EXCHANGE, routing_key: replyKey } });
      const collected = request.reply ? collect(ticket, request) : Promise.resolve([]);
      try {
        current.publish(REQUEST_EXCHANGE, '', Buffer.from(JSON.stringify(body)), {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          deliveryMode: 1,
          priority: 0,
        });
      } catch (error) {
        waiters.get(ticket)?.finish();
        throw new BrokerUnavailableError('cannot publish to celery.pidbox', { cause: error });
      }
      return collected;
    },

    async close(): Promise<void> {
      const current = channel;
      channel = undefined;
      for (const waiter of waiters.values()) waiter.finish();
      if (current) await (await current.catch(() => undefined))?.close().catch(() => undefined);
    },
  };

  function collect(ticket: string, request: PidboxRequest): Promise<NodeReplyValue[]> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        replies: [],
        bytes: 0,
        maxBytes: Math.min(request.maxReplyBytes ?? MAX_CALL_REPLY_BYTES, MAX_CALL_REPLY_BYTES),
        limit: request.destination.length > 0 ? request.destination.length : Number.POSITIVE_INFINITY,
        idle: undefined,
        timeoutMs: request.timeoutMs,
        finish: () => {
          if (waiter.idle) clearTimeout(waiter.idle);
          clearTimeout(ceiling);
          if (!waiters.delete(ticket)) return;
          heldBytes -= waiter.bytes;
          resolve(waiter.replies);
        },
      };
      const ceiling = setTimeout(waiter.finish, Math.min(MAX_COLLECT_MS, request.timeoutMs * 20));
      waiter.idle = setTimeout(waiter.finish, request.timeoutMs);
      waiters.set(ticket, waiter);
    });
  }
}

/**
 * A reply body `{nodename: value}` as an object with a null prototype (node names are chosen by
 * workers: `__proto__` must stay a name), or undefined when it is not JSON, not an object, or
 * nested deeper than any later walk may go.
 */
function parseReply(content: Buffer): Record<string, unknown> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  if (exceedsJsonBounds(body, BROKER_JSON_BOUNDS)) return undefined;
  return Object.assign(Object.create(null) as Record<string, unknown>, body);
}

export type PidboxClient = ReturnType<typeof createPidboxClient>;
