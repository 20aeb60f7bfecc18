import { randomUUID } from 'node:crypto';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Redis } from 'ioredis';
import { BrokerUnavailableError } from './errors';
import { type NodeReplyValue, type PidboxRequest, pidboxRequestBody } from './pidbox';
import { createReplyCollector, MAX_WAITERS } from './pidbox-replies';
import { decodeEnvelope, encodeEnvelope } from './redis-envelope';
import { PRIORITY_SEP, type RedisNames } from './redis-names';

/** How long one BRPOP blocks, seconds: the most a finished call waits before it cleans up. */
const POLL_SECONDS = 0.2;
/** Most calls collecting at once: each holds its own blocking connection. */
const MAX_REDIS_CALLS = Math.min(MAX_WAITERS, 16);
/** A reply list item is a whole envelope; larger than any real reply by far. */
const MAX_ENVELOPE_BYTES = 2 * 1024 * 1024;

/**
 * Celery remote control over Redis, routed as kombu's Mailbox routes it there. A request is a kombu
 * envelope PUBLISHed on the `<control>.pidbox` fanout channel. A call first adds its reply binding
 * to the `reply.<control>.pidbox` routing set, so the workers' replies land (LPUSH) on a list of its
 * own; it pops that list on a dedicated connection (BRPOP blocks the connection) until the shared
 * reply collector says the call is over, then deletes the list and the binding. Casts only publish.
 */
export function createRedisPidbox(options: { command: Redis; names: RedisNames; logger: Logger }) {
  const log = options.logger.child({ component: 'redis-pidbox' });
  const { command, names } = options;
  const replies = createReplyCollector({ logger: log });
  const blocking = new Set<Redis>();
  let closed = false;

  async function publish(body: Record<string, unknown>): Promise<void> {
    const envelope = encodeEnvelope({
      body: Buffer.from(JSON.stringify(body)),
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: {},
      exchange: names.pidboxExchange,
      routingKey: '',
      deliveryMode: 1,
    });
    await command.publish(names.pidboxTopic, envelope);
  }

  async function pollReplies(ticket: string, list: string): Promise<void> {
    const reader = command.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: 0 });
    blocking.add(reader);
    try {
      while (!replies.done(ticket) && !closed) {
        const popped = await reader.brpopBuffer(list, POLL_SECONDS);
        if (!popped) continue;
        const payload = popped[1];
        if (payload.length > MAX_ENVELOPE_BYTES) {
          log.warn({ ticket, bytes: payload.length }, 'oversize pidbox reply dropped');
          continue;
        }
        const reply = decodeEnvelope(payload, list, MAX_ENVELOPE_BYTES);
        if (reply.refused) log.warn({ ticket, problem: reply.refused[1] }, 'unusable pidbox reply ignored');
        else replies.offer(reply.headers?.ticket, reply.content);
      }
    } finally {
      blocking.delete(reader);
      reader.disconnect();
    }
  }

  return {
    async call(request: PidboxRequest): Promise<NodeReplyValue[]> {
      if (closed) throw new BrokerUnavailableError('the Redis session is closed');
      const ticket = randomUUID();
      const oid = randomUUID();
      const replyTo = { exchange: names.replyExchange, routing_key: oid };
      const body = pidboxRequestBody(request, ticket, replyTo);
      if (!request.reply) {
        await publish(body).catch((error: unknown) => {
          throw new BrokerUnavailableError('cannot publish the control request', { cause: error });
        });
        return [];
      }
      if (blocking.size >= MAX_REDIS_CALLS)
        throw new BrokerUnavailableError('too many control requests in flight');
      const queue = `${oid}.${names.replyExchange}`;
      const binding = `${oid}${PRIORITY_SEP}${PRIORITY_SEP}${queue}`;
      const bindings = names.bindings(names.replyExchange);
      const list = names.replyQueue(oid);
      const collected = replies.collect(ticket, request);
      try {
        // The binding must exist before workers answer, or their replies have nowhere to go.
        await command.sadd(bindings, binding);
        await publish(body);
        await pollReplies(ticket, list);
      } catch (error) {
        replies.finish(ticket);
        throw new BrokerUnavailableError('the control call over Redis failed', { cause: error });
      } finally {
        // Late replies (after the idle gap) would otherwise pile up under a name nobody reads.
        await command
          .multi()
          .srem(bindings, binding)
          .del(list)
          .exec()
          .catch((error: unknown) => log.warn({ err: error, list }, 'reply list cleanup failed'));
      }
      return collected;
    },

    async close(): Promise<void> {
      closed = true;
      replies.finishAll();
      for (const reader of blocking) reader.disconnect();
    },
  };
}
