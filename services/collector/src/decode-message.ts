import { isUtf8 } from 'node:buffer';
import { normalizeCeleryEvent } from '@celeriac/event-log/normalize';
import type { CeleryEvent, DeadLetter } from '@celeriac/proto/events';

/** What the collector needs of one AMQP delivery from the `celeryev` exchange. */
export interface BrokerMessage {
  content: Buffer;
  routingKey: string;
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  headers?: Record<string, unknown> | undefined;
}

export type DeadLetterReason =
  | 'oversize'
  | 'wrong-content-type'
  | 'wrong-content-encoding'
  | 'compressed'
  | 'not-utf8'
  | 'not-json'
  | 'not-an-object'
  | 'missing-field'
  | 'wrong-field-type'
  | 'unknown-type'
  | 'missing-uuid';

export interface Rejection {
  reason: DeadLetterReason;
  record: DeadLetter;
}

export interface DecodedMessage {
  events: CeleryEvent[];
  rejections: Rejection[];
}

export interface DecodeContext {
  connectionId: string;
  receivedAtMs: number;
  maxBodyBytes: number;
}

const MAX_HEADERS_JSON = 4096;
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

/**
 * One delivery → the events it carries (a body is one event object or a `task.multi` list, maybe
 * empty) and a dead letter per unusable part. Never throws: whatever a broker sends ends up in one of
 * the two lists. Acceptance mirrors kombu's consumer: JSON content type, UTF-8, no compression.
 */
export function decodeBrokerMessage(message: BrokerMessage, context: DecodeContext): DecodedMessage {
  const rejections: Rejection[] = [];
  const deadLetter = (reason: DeadLetterReason, detail: string): DecodedMessage => {
    rejections.push({
      reason,
      record: {
        connectionId: context.connectionId,
        reason:
          message.content.length > MAX_DEAD_LETTER_RAW
            ? `${reason}: ${detail} (raw truncated from ${message.content.length} bytes)`
            : `${reason}: ${detail}`,
        raw: message.content.subarray(0, MAX_DEAD_LETTER_RAW),
        routingKey: message.routingKey,
        contentType: message.contentType ?? '',
        receivedAtMs: context.receivedAtMs,
        headersJson: headersJson(message.headers),
      },
    });
    return { events: [], rejections };
  };

  if (message.content.length > context.maxBodyBytes) {
    return deadLetter('oversize', `body of ${message.content.length} bytes exceeds ${context.maxBodyBytes}`);
  }
  if (message.contentType !== 'application/json') {
    return deadLetter(
      'wrong-content-type',
      `content type ${JSON.stringify(message.contentType ?? null)} is not application/json`,
    );
  }
  const encoding = message.contentEncoding?.toLowerCase();
  if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'utf8') {
    return deadLetter(
      'wrong-content-encoding',
      `content encoding ${JSON.stringify(message.contentEncoding)} is not utf-8`,
    );
  }
  if (message.headers?.compression !== undefined)
    return deadLetter('compressed', 'compressed bodies are not accepted');
  if (!isUtf8(message.content)) return deadLetter('not-utf8', 'body is not valid UTF-8');
  const text = message.content.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return deadLetter('not-json', error instanceof Error ? error.message.slice(0, 200) : 'unparseable');
  }

  const items = Array.isArray(parsed) ? parsed : [parsed];
  const events: CeleryEvent[] = [];
  items.forEach((item, index) => {
    const result = normalizeCeleryEvent(item, context);
    if (result.ok) events.push(result.event);
    else
      deadLetter(result.reason, Array.isArray(parsed) ? `element ${index}: ${result.detail}` : result.detail);
  });
  return { events, rejections };
}
