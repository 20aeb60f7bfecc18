import { brokerKindOf } from '@celeriac/connection-secrets/broker-url';
import type { QueueDepth } from '@celeriac/proto/events';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Channel } from 'amqplib';
import { openAmqpSession } from './amqp-session';
import type { ConnectionOptions } from './connection-options';
import type { EventIngest } from './event-ingest';
import type { GapRecorder } from './gap-recorder';
import type { CollectorMetrics } from './metrics';
import type { NodeReplyValue, PidboxRequest } from './pidbox';
import { openRedisSession } from './redis-session';
import type { TaskMessage } from './task-message';

/** What an adapter gives the ingest it builds: how deliveries are acked and how pressure is relieved. */
export interface IngestTransport {
  /** AMQP acks after Kafka acked; Redis pub/sub has nothing to ack. */
  channel?: Pick<Channel, 'ack'>;
  /** Aborted when the consumption ends. */
  signal: AbortSignal;
  onPressure: (high: boolean) => void;
}

/** The broker-independent half of event consumption, supplied by the connection runner. */
export interface EventConsumer {
  makeIngest(transport: IngestTransport): EventIngest;
  /** Aborted when the collector stops owning the connection: drain, then return. */
  stop: AbortSignal;
  drainTimeoutMs: number;
  /** Default AMQP prefetch when the connection's options name none. */
  prefetch: number;
  /** Called once events flow, so workers are woken and snapshots start only then. */
  onConsuming(): void;
  /** Largest event body accepted; a transport refuses bigger envelopes before parsing them. */
  maxBodyBytes: number;
  /** Byte budget of messages held for Kafka; a broker that cannot pause drops beyond it. */
  maxBufferedBytes: number;
  metrics: CollectorMetrics;
  /** Where windows of missed events are recorded for the API. */
  gaps: GapRecorder;
}

/**
 * One live session with a connection's broker, whatever the broker: the rest of the collector
 * (runner, control service, sampler, waker) sees only this. Everything fails with
 * BrokerUnavailableError once the session is gone; the runner then opens a new one.
 */
export interface BrokerSession {
  readonly kind: 'amqp' | 'redis';
  readonly pidbox: { call(request: PidboxRequest): Promise<NodeReplyValue[]> };
  /** Depth and consumers of one task queue, never consuming; undefined when the queue is unknown. */
  queueDepth(queue: string): Promise<QueueDepth | undefined>;
  /** Queues one task message (and its task-sent event), or fails saying why. */
  publishTask(message: TaskMessage): Promise<void>;
  /** Feeds celery events to the consumer's ingest until the session ends or `stop` aborts. */
  consumeEvents(consumer: EventConsumer): Promise<void>;
  /** Resolves when the session ends, with the error that ended it, if any. */
  readonly closed: Promise<Error | undefined>;
  readonly isOpen: boolean;
  close(): Promise<void>;
}

export interface SessionOptions {
  url: string;
  connectionId: string;
  connectionName: string;
  origin: string;
  options: ConnectionOptions;
  logger: Logger;
}

/** Opens the adapter the URL's scheme names: amqp(s):// or redis://, rediss://, sentinel://. */
export function openBrokerSession(options: SessionOptions): Promise<BrokerSession> {
  return brokerKindOf(options.url) === 'redis' ? openRedisSession(options) : openAmqpSession(options);
}
