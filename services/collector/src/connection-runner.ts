import type { SecretBox } from '@celeriac/connection-secrets/secret-box';
import type { EventLogProducer } from '@celeriac/event-log/producer';
import { backoffDelayMs, pause } from '@celeriac/service-runtime/backoff';
import type { Logger } from '@celeriac/service-runtime/logger';
import { type BrokerSession, openBrokerSession } from './broker-session';
import type { CollectorStore, ConnectionRow } from './collector-store';
import { parseConnectionOptions } from './connection-options';
import { BrokerUnavailableError, ConnectionConfigError } from './errors';
import { createEventIngest } from './event-ingest';
import { createGapRecorder } from './gap-recorder';
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
  /** Event-gap rows kept per connection. */
  gapsPerConnection: number;
  enableEvents: boolean;
  /** How long stop() waits for the in-flight batch to be produced and acked, ms. */
  drainTimeoutMs: number;
}

/**
 * Consumes one connection for as long as this collector holds its lease: opens the broker adapter
 * its URL names, lets it feed events to the ingest, samples snapshots, and reconnects with capped
 * jittered backoff whenever the broker session ends. Control calls borrow the live session.
 */
export function createConnectionRunner(deps: {
  row: ConnectionRow;
  secretBox: SecretBox;
  producer: EventLogProducer;
  gapStore: Pick<CollectorStore, 'openGap' | 'closeGap'>;
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
  const gaps = createGapRecorder({
    store: deps.gapStore,
    connectionId,
    collectorId: deps.settings.collectorId,
    keepPerConnection: deps.settings.gapsPerConnection,
    logger: log,
  });

  async function consume(current: BrokerSession): Promise<void> {
    const waker = createWorkerWaker({ pidbox: current.pidbox, logger: log });
    const enableEvents = options.enableEvents ?? deps.settings.enableEvents;
    let sampler: { stop(): void } | undefined;
    try {
      await current.consumeEvents({
        makeIngest: (transport) =>
          createEventIngest({
            ...transport,
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
            onWorkerOnline: enableEvents ? (hostname) => waker.wake(hostname) : undefined,
            maxBufferedBytes: deps.settings.maxBufferedBytes,
          }),
        stop: stopController.signal,
        drainTimeoutMs: deps.settings.drainTimeoutMs,
        prefetch: deps.settings.prefetch,
        maxBodyBytes: deps.settings.maxBodyBytes,
        maxBufferedBytes: deps.settings.maxBufferedBytes,
        metrics: deps.metrics,
        gaps,
        onConsuming: () => {
          // Like Celery's receiver: workers that are already up report in at once, and get task events on.
          waker.wakeAll(enableEvents);
          sampler = startSnapshotSampler({
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
        },
      });
    } finally {
      if (sampler) deps.metrics.connectedBrokers.dec();
      sampler?.stop();
      waker.dispose();
    }
  }

  async function run(url: string): Promise<void> {
    for (let attempt = 0; !stopController.signal.aborted; attempt++) {
      try {
        session = await openBrokerSession({
          url,
          connectionId,
          options,
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
