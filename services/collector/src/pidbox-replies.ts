import { BROKER_JSON_BOUNDS, exceedsJsonBounds } from '@celeriac/celery-domain/json-bounds';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { NodeReplyValue, PidboxRequest } from './pidbox';

/** Hard ceiling on one collection whatever the replies' pace, and on replies kept per request. */
const MAX_COLLECT_MS = 60_000;
const MAX_REPLIES = 10_000;
export const MAX_WAITERS = 256;
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
 * Collects pidbox replies per ticket for one broker session, whatever carries them: each call waits
 * until its destinations all answered, an idle gap passed, or a byte budget ran out. Shared by the
 * AMQP and Redis mailboxes so both bound a call the same way.
 */
export function createReplyCollector(options: { logger: Logger }) {
  const log = options.logger;
  const waiters = new Map<string, Waiter>();
  let heldBytes = 0;

  /** One reply message for `ticket` (any other ticket is not ours and ignored). */
  function offer(ticket: unknown, content: Buffer): void {
    const waiter = typeof ticket === 'string' ? waiters.get(ticket) : undefined;
    if (!waiter) return;
    const size = content.length;
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
    const body = parseReply(content);
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
  return {
    offer,
    collect,
    /** Calls collecting now. */
    get size() {
      return waiters.size;
    },
    /** Ends one call with what it has (a publish failed). */
    finish(ticket: string): void {
      waiters.get(ticket)?.finish();
    },
    finishAll(): void {
      for (const waiter of waiters.values()) waiter.finish();
    },
    /** True once the call of `ticket` stopped collecting. */
    done(ticket: string): boolean {
      return !waiters.has(ticket);
    },
  };
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
