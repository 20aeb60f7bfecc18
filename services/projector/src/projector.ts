import { createGroupConsumer, type PartitionBatch } from '@celeriac/event-log/consumer';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import { applyBatch, type RawMessage } from './apply-batch';
import { applyIsolating } from './isolate-poison';
import { type ProjectorMetrics, recordOutcome } from './metrics';
import type { PartitionManager } from './partitions';
import type { ProjectionStore } from './projection-store';

/** A batch could not be applied; kafkajs redelivers it and the stored position keeps it exactly-once. */
export class ProjectionError extends Error {
  readonly retriable = true;
  constructor(
    message: string,
    readonly context: { topic: string; partition: number; firstOffset: number },
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ProjectionError';
  }
}

/** The consumer-group member that folds the event log into the read models. */
export function createProjector(options: {
  kafka: Kafka;
  store: ProjectionStore;
  partitions: PartitionManager;
  metrics: ProjectorMetrics;
  logger: Logger;
  now: () => number;
  groupId: string;
  topic: string;
  batchSize: number;
  concurrency: number;
}): Component & { readonly joined: boolean; readonly assignment: readonly number[] } {
  const log = options.logger.child({ component: 'projector' });

  const apply = (batch: PartitionBatch, messages: RawMessage[], rejected: ReadonlySet<number>) =>
    applyBatch(
      { store: options.store, partitions: options.partitions, nowMs: options.now },
      { group: options.groupId, topic: batch.topic, partition: batch.partition, messages, rejected },
    );

  async function handle(batch: PartitionBatch): Promise<void> {
    const timer = options.metrics.batchSeconds.startTimer();
    try {
      const outcomes = await applyIsolating(
        (messages, rejected) => apply(batch, messages, rejected),
        batch.messages,
        (offset, error) =>
          log.warn(
            { err: error, partition: batch.partition, offset },
            'record refused by PostgreSQL, skipped',
          ),
      );
      for (const outcome of outcomes) {
        recordOutcome(options.metrics, outcome);
        if (outcome.skipped.size > 0)
          log.warn(
            { partition: batch.partition, skipped: Object.fromEntries(outcome.skipped) },
            'bad events skipped',
          );
      }
      const nextOffset = outcomes.at(-1)?.nextOffset ?? 0;
      options.metrics.lag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, batch.highWatermark - nextOffset),
      );
    } catch (error) {
      const firstOffset = batch.messages[0]?.offset ?? -1;
      log.error({ err: error, partition: batch.partition, firstOffset }, 'batch failed, will be redelivered');
      throw new ProjectionError(
        'batch could not be applied',
        { topic: batch.topic, partition: batch.partition, firstOffset },
        { cause: error },
      );
    } finally {
      timer();
    }
  }

  const consumer = createGroupConsumer({
    kafka: options.kafka,
    logger: options.logger,
    groupId: options.groupId,
    topic: options.topic,
    maxMessages: options.batchSize,
    concurrency: options.concurrency,
    handle,
    positions: () => options.store.readPositions(options.groupId, options.topic),
  });

  return {
    name: 'projector',
    get isRunning() {
      return consumer.isRunning;
    },
    get joined() {
      return consumer.joined;
    },
    get assignment() {
      return consumer.assignment;
    },
    start: () => consumer.start(),
    stop: () => consumer.stop(),
  };
}
