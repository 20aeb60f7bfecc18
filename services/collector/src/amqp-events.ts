import { pause } from '@celeriac/service-runtime/backoff';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { BrokerSession, EventConsumer } from './broker-session';
import type { ConnectionOptions } from './connection-options';

export const eventQueueName = (connectionId: string, options: ConnectionOptions) =>
  options.queueName ?? `celeriac.events.${connectionId}`;

/**
 * The AMQP event path: a durable bounded queue bound to `celeryev` with `#`, consumed with acks
 * that follow Kafka's, so RabbitMQ keeps whatever the collector has not produced yet.
 */
export async function consumeAmqpEvents(deps: {
  connection: ChannelModel;
  session: BrokerSession;
  connectionId: string;
  options: ConnectionOptions;
  logger: Logger;
  consumer: EventConsumer;
}): Promise<void> {
  const { connection, options, consumer } = deps;
  const log = deps.logger;
  const stop = consumer.stop;

  async function declareEventQueue(channel: Channel): Promise<{ channel: Channel; queue: string }> {
    const queue = eventQueueName(deps.connectionId, options);
    await channel.assertExchange('celeryev', 'topic', { durable: true, autoDelete: false });
    try {
      await channel.assertQueue(queue, {
        durable: true,
        arguments: { 'x-max-length': options.queueMaxLength, 'x-overflow': 'drop-head' },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 406) throw error;
      // The queue exists with other arguments (an earlier max length): keep using it as it is.
      log.warn({ queue }, 'event queue exists with different arguments; using it unchanged');
      channel = await connection.createChannel();
      await channel.checkQueue(queue);
    }
    await channel.bindQueue(queue, 'celeryev', '#');
    return { channel, queue };
  }

  const sessionAbort = new AbortController();
  const declared = await declareEventQueue(await connection.createChannel());
  const channel = declared.channel;
  channel.on('error', (error) => log.warn({ err: error }, 'event channel error'));
  channel.on('close', () => sessionAbort.abort());
  await channel.prefetch(options.prefetch ?? consumer.prefetch);
  let onPressure: (high: boolean) => void = () => undefined;
  const ingest = consumer.makeIngest({
    channel,
    signal: sessionAbort.signal,
    onPressure: (high) => onPressure(high),
  });
  const onMessage = (message: ConsumeMessage | null) => {
    if (message) ingest.handle(message);
    else sessionAbort.abort(); // the queue was deleted: start over and declare it again
  };
  // Flow control: with too many broker bytes unacked (Kafka slow or down) the consumer is cancelled
  // so RabbitMQ keeps the backlog, and re-created once acks caught up. Transitions run in order.
  let consumerTag: string | undefined = (await channel.consume(declared.queue, onMessage)).consumerTag;
  let flow = Promise.resolve();
  onPressure = (high) => {
    flow = flow
      .then(async () => {
        if (high && consumerTag) {
          const tag = consumerTag;
          consumerTag = undefined;
          log.info({ bufferedBytes: ingest.bufferedBytes }, 'pausing consumption until Kafka catches up');
          await channel.cancel(tag);
        } else if (!high && !consumerTag && !sessionAbort.signal.aborted && !stop.aborted) {
          consumerTag = (await channel.consume(declared.queue, onMessage)).consumerTag;
          log.debug('consumption resumed');
        }
      })
      .catch((error: unknown) =>
        log.warn({ err: error }, 'flow control failed; the session will be rebuilt'),
      );
  };
  consumer.onConsuming();
  log.info({ queue: declared.queue }, 'consuming celery events');
  try {
    await Promise.race([
      deps.session.closed,
      new Promise((resolve) => sessionAbort.signal.addEventListener('abort', resolve, { once: true })),
      new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true })),
    ]);
    if (stop.aborted && deps.session.isOpen) {
      await flow;
      if (consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
      await Promise.race([ingest.drain(), pause(consumer.drainTimeoutMs)]);
    }
  } finally {
    sessionAbort.abort();
    ingest.dispose();
  }
}
