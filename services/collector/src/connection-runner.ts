import type { SecretBox } from '@celeriac/connection-secrets/secret-box';
import type { EventLogProducer } from '@celeriac/event-log/producer';
import { backoffDelayMs, pause } from '@celeriac/service-runtime/backoff';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Channel, ConsumeMessage } from 'amqplib';
import { type BrokerSession, openBrokerSession } from './broker-session';
import type { ConnectionRow } from './collector-store';
import { type ConnectionOptions, parseConnectionOptions } from './connection-options';
import { BrokerUnavailableError, ConnectionConfigError } from './errors';
import { createEventIngest } from './event-ingest';
import type { CollectorMetrics } from './metrics';
import { startSnapshotSampler } from './snapshot-sampler';
import { createWorkerWaker } from './worker-waker';

export interface RunnerSettings {
  collectorId: string;
  eventsTopic: string;
  deadLetterTopic: string;
  prefetch: number;
  maxBodyBytes: number;
  maxListItems: number;
  batchMaxEvents: number;
  batchMaxBytes: number;
  batchLingerMs: number;
  maxBufferedBytes: number;
  enableEvents: boolean;
  /** How long stop() waits for the in-flight batch to be produced and acked, ms. */
  drainTimeoutMs: number;
}

export const eventQueueName = (connectionId: string, options: ConnectionOptions) =>
  options.queueName ?? `celeriac.events.${connectionId}`;

/**
 * Consumes one connection for as long as this collector holds its lease: connects, declares the
 * durable bounded event queue, feeds deliveries to the ingest, samples snapshots, and reconnects with
 * capped jittered backoff whenever the broker session ends. Control calls borrow the live session.
 */
export function createConnectionRunner(deps: {
  row: ConnectionRow;
  secretBox: SecretBox;
  producer: EventLogProducer;
  settings: RunnerSettings;
  metrics: CollectorMetrics;
  logger: Logger;
  clock: () => number;
}) {
  const connectionId = deps.row.connectionId;
  const log = deps.logger.child({ component: 'connection-runner', connectionId });
  const { options, problem } = parseConnectionOptions(deps.row.options);
  if (problem) log.warn({ problem }, 'connection options invalid; using defaults');
  const stopController = new AbortController();
  let session: BrokerSession | undefined;
  let loop: Promise<void> | undefined;

  async function declareEventQueue(
    channel: Channel,
    session: BrokerSession,
  ): Promise<{ channel: Channel; queue: string }> {
    const queue = eventQueueName(connectionId, options);
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
      channel = await session.connection.createChannel();
      await channel.checkQueue(queue);
    }
    await channel.bindQueue(queue, 'celeryev', '#');
    return { channel, queue };
  }

  async function consume(current: BrokerSession): Promise<void> {
    const sessionAbort = new AbortController();
    const declared = await declareEventQueue(await current.connection.createChannel(), current);
    const channel = declared.channel;
    channel.on('error', (error) => log.warn({ err: error }, 'event channel error'));
    channel.on('close', () => sessionAbort.abort());
    await channel.prefetch(options.prefetch ?? deps.settings.prefetch);
    const waker = createWorkerWaker({ pidbox: current.pidbox, logger: log });
    const enableEvents = options.enableEvents ?? deps.settings.enableEvents;
    let onPressure: (high: boolean) => void = () => undefined;
    const ingest = createEventIngest({
      channel,
      producer: deps.producer,
      topics: { events: deps.settings.eventsTopic, deadLetter: deps.settings.deadLetterTopic },
      connectionId,
      maxBodyBytes: deps.settings.maxBodyBytes,
      maxListItems: deps.settings.maxListItems,
      batchMaxEvents: deps.settings.batchMaxEvents,
      batchMaxBytes: deps.settings.batchMaxBytes,
      lingerMs: deps.settings.batchLingerMs,
      clock: deps.clock,
      metrics: deps.metrics,
      logger: log,
      signal: sessionAbort.signal,
      onWorkerOnline: enableEvents ? (hostname) => waker.wake(hostname) : undefined,
      maxBufferedBytes: deps.settings.maxBufferedBytes,
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
          } else if (
            !high &&
            !consumerTag &&
            !sessionAbort.signal.aborted &&
            !stopController.signal.aborted
          ) {
            consumerTag = (await channel.consume(declared.queue, onMessage)).consumerTag;
            log.debug('consumption resumed');
          }
        })
        .catch((error: unknown) =>
          log.warn({ err: error }, 'flow control failed; the session will be rebuilt'),
        );
    };
    // Like Celery's receiver: workers that are already up report in at once, and get task events on.
    waker.wakeAll(enableEvents);
    const sampler = startSnapshotSampler({
      session: current,
      producer: deps.producer,
      eventsTopic: deps.settings.eventsTopic,
      connectionId,
      collectorId: deps.settings.collectorId,
      queueIntervalMs: options.queueSampleIntervalMs,
      inspectIntervalMs: options.inspectIntervalMs,
      inspectTimeoutMs: options.inspectTimeoutMs,
      clock: deps.clock,
      metrics: deps.metrics,
      logger: log,
    });
    deps.metrics.connectedBrokers.inc();
    log.info({ queue: declared.queue }, 'consuming celery events');
    try {
      await Promise.race([
        current.closed,
        new Promise((resolve) => sessionAbort.signal.addEventListener('abort', resolve, { once: true })),
        new Promise((resolve) => stopController.signal.addEventListener('abort', resolve, { once: true })),
      ]);
      if (stopController.signal.aborted && current.isOpen) {
        await flow;
        if (consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
        await Promise.race([ingest.drain(), pause(deps.settings.drainTimeoutMs)]);
      }
    } finally {
      deps.metrics.connectedBrokers.dec();
      sampler.stop();
      waker.dispose();
      sessionAbort.abort();
      ingest.dispose();
    }
  }

  async function run(url: string): Promise<void> {
    for (let attempt = 0; !stopController.signal.aborted; attempt++) {
      try {
        session = await openBrokerSession({
          url,
          connectionName: deps.row.name,
          origin: `celeriac@${deps.settings.collectorId}`,
          logger: log,
        });
        attempt = 0;
        await consume(session);
        if (!stopController.signal.aborted) {
          deps.metrics.brokerReconnects.inc();
          log.warn('broker session ended; reconnecting');
        }
      } catch (error) {
        deps.metrics.brokerReconnects.inc();
        log.warn({ err: error, attempt }, 'broker session failed');
      } finally {
        const ended = session;
        session = undefined;
        await ended?.close();
      }
      if (!stopController.signal.aborted)
        await pause(backoffDelayMs(attempt, { baseMs: 500, maxMs: 30_000 }), stopController.signal);
    }
  }

  return {
    name: `connection-runner:${connectionId}`,
    connectionId,
    get isRunning() {
      return loop !== undefined && !stopController.signal.aborted;
    },
    async start() {
      let url: string;
      try {
        url = deps.secretBox.open(deps.row.brokerUrlEncrypted);
      } catch (error) {
        throw new ConnectionConfigError('the broker URL cannot be decrypted with this CELERIAC_SECRET_KEY', {
          cause: error,
        });
      }
      loop ??= run(url);
    },
    async stop() {
      stopController.abort();
      await loop;
    },
    /** The live broker session, for control calls. */
    session(): BrokerSession {
      if (!session?.isOpen)
        throw new BrokerUnavailableError(`the broker of connection ${connectionId} is not connected`);
      return session;
    },
  };
}

export type ConnectionRunner = ReturnType<typeof createConnectionRunner>;
