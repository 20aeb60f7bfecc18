import { randomUUID } from 'node:crypto';
import { BROKER_JSON_BOUNDS, exceedsJsonBounds } from '@celeriac/celery-domain/json-bounds';
import type { BrokerMessage } from './decode-message';

/**
 * kombu's virtual-transport message, the text every Redis-borne Celery message travels as (pub/sub
 * payloads and list items alike): a JSON object with the serialized body (base64 unless stated
 * otherwise), its content type and encoding, application headers, and `properties` holding the body
 * encoding, a delivery tag, priority and `delivery_info` {exchange, routing_key}.
 */
export interface EnvelopeFields {
  body: Buffer;
  contentType: string;
  contentEncoding: string;
  headers: Record<string, unknown>;
  exchange: string;
  routingKey: string;
  priority?: number;
  deliveryMode?: number;
  /** Extra AMQP-style properties (correlation_id, reply_to) kept as kombu keeps them. */
  properties?: Record<string, unknown>;
}

export function encodeEnvelope(fields: EnvelopeFields): string {
  return JSON.stringify({
    body: fields.body.toString('base64'),
    'content-encoding': fields.contentEncoding,
    'content-type': fields.contentType,
    headers: fields.headers,
    properties: {
      ...fields.properties,
      priority: fields.priority ?? 0,
      delivery_mode: fields.deliveryMode ?? 2,
      body_encoding: 'base64',
      delivery_info: { exchange: fields.exchange, routing_key: fields.routingKey },
      delivery_tag: randomUUID(),
    },
  });
}

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Largest envelope parsed at all: base64 grows a body by a third, plus headers and properties. */
export const envelopeLimit = (maxBodyBytes: number) => Math.ceil((maxBodyBytes * 4) / 3) + 64 * 1024;

/**
 * One pub/sub payload as the message the shared decoder takes. A payload that is no envelope becomes
 * a message refused as `bad-envelope`, carrying the payload as its raw bytes, so garbage on the event
 * channel is dead-lettered like garbage on the AMQP exchange. `channel` stands in for a routing key
 * the envelope does not give.
 */
export function decodeEnvelope(payload: Buffer, channel: string, maxBodyBytes: number): BrokerMessage {
  const refuse = (detail: string): BrokerMessage => ({
    content: payload,
    routingKey: channel,
    refused: ['bad-envelope', detail],
  });
  if (payload.length > envelopeLimit(maxBodyBytes))
    return {
      content: payload,
      routingKey: channel,
      refused: ['oversize', `envelope of ${payload.length} bytes`],
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return refuse('the payload is not a JSON kombu envelope');
  }
  const envelope = asObject(parsed);
  const body = asString(envelope?.body);
  if (!envelope || body === undefined) return refuse('the payload has no string "body"');
  const properties = asObject(envelope.properties) ?? {};
  const info = asObject(properties.delivery_info) ?? {};
  const headers = asObject(envelope.headers);
  const encoding = properties.body_encoding;
  if (encoding !== undefined && encoding !== 'base64')
    return refuse(`body_encoding ${JSON.stringify(encoding).slice(0, 50)} is not base64`);
  if (headers && exceedsJsonBounds(headers, BROKER_JSON_BOUNDS)) return refuse('headers nested too deep');
  return {
    content: encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    routingKey: asString(info.routing_key) ?? channel,
    contentType: asString(envelope['content-type']),
    contentEncoding: asString(envelope['content-encoding']),
    headers,
  };
}
