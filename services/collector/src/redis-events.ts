import { pause } from '@celeriac/service-runtime/backoff';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Redis } from 'ioredis';
import type { BrokerSession, EventConsumer } from './broker-session';
import type { OpenGap } from './gap-recorder';
import { decodeEnvelope } from './redis-envelope';
import type { RedisNames } from './redis-names';

/**
 * The Redis event path: kombu fans `celeryev` out over PUBLISH, so the collector subscribes (on a
 * connection of its own) to the channels the connection's naming gives, and hands every payload to
 * the same ingest as AMQP deliveries. Pub/sub keeps nothing and has no acks: whatever Kafka has not
 * taken yet sits in the ingest's buffer, and once that reaches its byte budget new messages are
 * dropped and counted, never left in Redis's output buffer, which Redis answers by cutting the
 * subscriber off (and then everything is lost until it is back). Each drop episode, each lost
 * subscription and each (re)subscription start (a takeover after a crash) counts as one gap.
 */
export async function consumeRedisEvents(deps: {
  subscriber: Redis;
  session: BrokerSession;
  names: RedisNames;
  connectionId: string;
  logger: Logger;
  consumer: EventConsumer;
}): Promise<void> {
  const { subscriber, consumer } = deps;
  const { metrics, maxBodyBytes, maxBufferedBytes } = consumer;
  const log = deps.logger;
  const labels = { connection_id: deps.connectionId };
  const sessionAbort = new AbortController();
  // The open gap rows: one for the current drop episode, one for the current lost subscription.
  let dropping: OpenGap | undefined;
  let away: OpenGap | undefined;
  const gaps = consumer.gaps;
  const ingest = consumer.makeIngest({
    signal: sessionAbort.signal,
    // Nothing to pause on a subscription: the budget check below drops instead.
    onPressure: () => undefined,
  });

  const onPayload = (channel: Buffer, payload: Buffer) => {
    if (ingest.bufferedBytes + payload.length > maxBufferedBytes) {
      if (!dropping) {
        dropping = gaps.open('buffer-full', true);
        metrics.redisGaps.inc({ ...labels, cause: 'buffer-full' });
        log.warn({ bufferedBytes: ingest.bufferedBytes }, 'event buffer full (Kafka slow); dropping events');
      }
      dropping.drop(payload.length);
      metrics.redisDroppedMessages.inc(labels);
      metrics.redisDroppedBytes.inc(labels, payload.length);
      return;
    }
    if (dropping) {
      dropping.close();
      dropping = undefined;
      log.info('event buffer has room again; events flow');
    }
    const message = decodeEnvelope(payload, channel.toString('utf8'), maxBodyBytes);
    ingest.accept(message, payload.length);
  };
  const onPattern = (_pattern: Buffer, channel: Buffer, payload: Buffer) => onPayload(channel, payload);
  const onLost = () => {
    if (!away) away = gaps.open('disconnected', false);
    metrics.redisGaps.inc({ ...labels, cause: 'disconnected' });
    log.warn('event subscription lost; events published until it is back are not seen');
  };
  // ioredis has re-issued the subscription by the time it reports ready again.
  const onBack = () => {
    away?.close();
    away = undefined;
  };
  subscriber.on('pmessageBuffer', onPattern);
  subscriber.on('messageBuffer', onPayload);
  // ioredis reconnects on its own and re-issues the subscription as its first command.
  subscriber.on('close', onLost);
  subscriber.on('ready', onBack);
  try {
    const events = deps.names.events;
    if (events.kind === 'pattern') await subscriber.psubscribe(events.name);
    else await subscriber.subscribe(events.name);
    // Whatever was published before this moment was seen by no one here: on a failover this is the
    // window between the old owner's death and the takeover.
    metrics.redisGaps.inc({ ...labels, cause: 'subscribed' });
    gaps.instant('subscribed');
    consumer.onConsuming();
    log.info({ subscription: deps.names.events }, 'consuming celery events');
    await Promise.race([
      deps.session.closed,
      new Promise((resolve) => consumer.stop.addEventListener('abort', resolve, { once: true })),
    ]);
    if (consumer.stop.aborted) await Promise.race([ingest.drain(), pause(consumer.drainTimeoutMs)]);
  } finally {
    subscriber.off('pmessageBuffer', onPattern);
    subscriber.off('messageBuffer', onPayload);
    subscriber.off('close', onLost);
    subscriber.off('ready', onBack);
    dropping?.close();
    away?.close();
    sessionAbort.abort();
    ingest.dispose();
  }
}
