import { isUtf8 } from 'node:buffer';
import { normalizeCeleryEvent, type RejectReason } from '@celeriac/celery-domain/normalize';
import type { CeleryEvent, DeadLetter } from '@celeriac/proto/events';

/** What the collector needs of one message from the `celeryev` exchange, whatever the broker. */
export interface BrokerMessage {
  content: Buffer;
  routingKey: string;
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  headers?: Record<string, unknown> | undefined;
  /** Set by a transport that found the message unusable before its body (a bad Redis envelope). */
  refused?: [DeadLetterReason, string] | undefined;
}

export type DeadLetterReason =
  | 'oversize'
  | 'too-many-items'
  | 'wrong-content-type'
  | 'wrong-content-encoding'
  | 'compressed'
  | 'not-utf8'
  | 'not-json'
  | 'internal'
  | 'bad-envelope'
  | RejectReason;

export interface Rejection {
  reason: DeadLetterReason;
  record: DeadLetter;
}

/** The events of one delivery and at most one dead letter, whatever the delivery holds. */
export interface DecodedMessage {
  events: CeleryEvent[];
  rejection: Rejection | undefined;
}

export interface DecodeContext {
  connectionId: string;
  receivedAtMs: number;
  maxBodyBytes: number;
  /** Most elements of a `task.multi` list; a longer list is dead-lettered whole. */
  maxListItems: number;
}

const MAX_HEADERS_JSON = 4096;
/** Element failures spelled out in a dead letter's reason; the rest are counted. */
const MAX_LISTED_FAILURES = 20;
const MAX_REASON_CHARS = 4096;
/** Raw bytes kept in a dead letter: enough to diagnose, small enough for any Kafka max message size. */
export const MAX_DEAD_LETTER_RAW = 256 * 1024;

function headersJson(headers: Record<string, unknown> | undefined): string {
  try {
    const text = JSON.stringify(headers ?? {}, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    return text.length > MAX_HEADERS_JSON
      ? JSON.stringify({ truncated: text.slice(0, MAX_HEADERS_JSON) })
      : text;
  } catch {
    return '{}';
  }
}

export function deadLetterOf(
  message: BrokerMessage,
  context: DecodeContext,
  reason: DeadLetterReason,
  detail: string,
): Rejection {
  return {
    reason,
    record: {
      connectionId: context.connectionId,
      reason: (message.content.length > MAX_DEAD_LETTER_RAW
        ? `${reason}: ${detail} (raw truncated from ${message.content.length} bytes)`
        : `${reason}: ${detail}`
      ).slice(0, MAX_REASON_CHARS),
      raw: message.content.subarray(0, MAX_DEAD_LETTER_RAW),
      routingKey: message.routingKey,
      contentType: message.contentType ?? '',
      receivedAtMs: context.receivedAtMs,
      headersJson: headersJson(message.headers),
    },
  };
}

/** Why a whole message is unusable, or undefined when its body may be parsed as JSON text. */
function refusal(message: BrokerMessage, context: DecodeContext): [DeadLetterReason, string] | undefined {
  if (message.refused) return message.refused;
  if (message.content.length > context.maxBodyBytes)
    return ['oversize', `body of ${message.content.length} bytes exceeds ${context.maxBodyBytes}`];
  if (message.contentType !== 'application/json')
    return [
      'wrong-content-type',
      `content type ${JSON.stringify(message.contentType ?? null)} is not application/json`,
    ];
  const encoding = message.contentEncoding?.toLowerCase();
  if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'utf8')
    return [
      'wrong-content-encoding',
      `content encoding ${JSON.stringify(message.contentEncoding)} is not utf-8`,
    ];
  if (message.headers?.compression !== undefined) return ['compressed', 'compressed bodies are not accepted'];
  if (!isUtf8(message.content)) return ['not-utf8', 'body is not valid UTF-8'];
  return undefined;
}

/**
 * One delivery → the events it carries (a body is one event object or a `task.multi` list, maybe
 * empty) and at most ONE dead letter. Never throws: whatever a broker sends ends up in one of the two.
 * A list with bad elements keeps its good ones and gives a single dead letter (one copy of the raw
 * body) naming the bad indexes; a dead letter per element would copy the body once per element, and a
 * few hundred KB of invalid elements would then ask for gigabytes. Acceptance mirrors kombu's
 * consumer: JSON content type, UTF-8, no compression. (Runs for every delivery: no closures per call.)
 */
export function decodeBrokerMessage(message: BrokerMessage, context: DecodeContext): DecodedMessage {
  const refused = refusal(message, context);
  if (refused) return { events: [], rejection: deadLetterOf(message, context, ...refused) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.content.toString('utf8'));
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 200) : 'unparseable';
    return { events: [], rejection: deadLetterOf(message, context, 'not-json', detail) };
  }

  const list = Array.isArray(parsed);
  const items = list ? (parsed as unknown[]) : [parsed];
  if (items.length > context.maxListItems) {
    const detail = `list of ${items.length} elements exceeds ${context.maxListItems}`;
    return { events: [], rejection: deadLetterOf(message, context, 'too-many-items', detail) };
  }
  const events: CeleryEvent[] = [];
  let firstReason: DeadLetterReason | undefined;
  let failed = 0;
  let details = '';
  for (let index = 0; index < items.length; index++) {
    const result = normalizeCeleryEvent(items[index], context);
    if (result.ok) {
      events.push(result.event);
      continue;
    }
    failed += 1;
    firstReason ??= result.reason;
    if (failed <= MAX_LISTED_FAILURES) {
      const one = list ? `element ${index}: ${result.reason}: ${result.detail}` : result.detail;
      details += `${failed > 1 ? '; ' : ''}${one.slice(0, 180)}`;
    }
  }
  if (firstReason === undefined) return { events, rejection: undefined };
  const summary = list
    ? `${failed} of ${items.length} elements rejected: ${details}${failed > MAX_LISTED_FAILURES ? `; and ${failed - MAX_LISTED_FAILURES} more` : ''}`
    : details;
  return { events, rejection: deadLetterOf(message, context, firstReason, summary) };
}
