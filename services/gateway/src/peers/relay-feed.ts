import { createEventTail, type TailRecord } from '@celeriac/event-log/tail';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import type { StreamHub } from '../streams/stream-hub';
import type { PeerMetrics } from './peer-metrics';
import { NotOwnerError, type RelayBatchOut, type RelaySink } from './relay-source';

const NOT_OWNER_RETRIES = 20;
const NOT_OWNER_RETRY_MS = 250;

/** Where a feed gets its records now: the owner (remote or this replica), or Kafka when no owner answers. */
export interface FeedSources {
  /** Resolves when `signal` aborts or the source ends; rejects with `retryAfterMs` for a refused or lost relay. */
  relay(
    request: { connectionId: string; partition: number; from: number },
    sink: RelaySink,
    signal: AbortSignal,
  ): Promise<void>;
  kafka: Kafka;
  topic: string;
  logger: Logger;
  /** How long the feed reads Kafka itself before it tries the owner again, ms. */
  fallbackMs: number;
  metrics: PeerMetrics;
}

/**
 * One relayed connection on a replica that does not own its partition: a hub of its own (sparse: the
 * connection's records only) that the local clients of that connection subscribe to, fed by ONE relay
 * stream whatever the number of clients. The feed's position is the hub's, a Kafka position: a relay
 * reopened at a new owner, or a fallback reader, starts exactly there, and the hub drops anything
 * older (dedupe by position), so a rebalance shows no gap and no duplicate.
 */
export class RelayFeed {
  private current: AbortController | undefined;
  private stopped = false;
  private started!: () => void;
  /** Resolves once the feed has a position: local clients may subscribe without missing the start. */
  readonly ready = new Promise<void>((resolve) => {
    this.started = resolve;
  });
  idleSince = Date.now();

  constructor(
    readonly connectionId: string,
    readonly partition: number,
    readonly hub: StreamHub,
    private readonly sources: FeedSources,
  ) {}

  private readonly sink: RelaySink = async (batch: RelayBatchOut) => {
    const { partition } = this;
    if (this.hub.position(partition) === undefined) this.hub.startPartition(partition, batch.nextOffset, 0);
    this.started();
    if (batch.records.length > 0) {
      const records: TailRecord[] = batch.records.map((record) => ({
        partition,
        offset: record.offset,
        key: null,
        value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
        timestampMs: record.timestampMs,
      }));
      this.hub.ingest({ partition, records });
    }
    this.hub.advance(partition, batch.nextOffset);
  };

  /** Runs until stop(): relay from the owner, else Kafka for `fallbackMs`, then the owner again. */
  async run(): Promise<void> {
    const log = this.sources.logger;
    let refusals = 0;
    while (!this.stopped) {
      const abort = new AbortController();
      this.current = abort;
      const request = { connectionId: this.connectionId, partition: this.partition, from: this.from() };
      try {
        this.sources.metrics.relays.inc({ side: 'received' });
        await this.sources
          .relay(request, this.sink, abort.signal)
          .finally(() => this.sources.metrics.relays.dec({ side: 'received' }));
        refusals = 0;
      } catch (error) {
        if (this.stopped || abort.signal.aborted) continue;
        // The new owner has not started the partition yet (a rebalance in progress): ask it again soon.
        if (error instanceof NotOwnerError && refusals < NOT_OWNER_RETRIES) {
          refusals += 1;
          await new Promise((resolve) => setTimeout(resolve, NOT_OWNER_RETRY_MS));
          continue;
        }
        refusals = 0;
        // The owner was serving this relay (the feed moved on) and cut it or went quiet: ask it again
        // from here; only an owner that delivers nothing sends this replica to Kafka, where it would
        // read a whole partition for one connection.
        if (this.from() > request.from) {
          log.info({ err: error, connectionId: this.connectionId }, 'relay ended; reopening at the owner');
          continue;
        }
        log.info({ err: error, connectionId: this.connectionId }, 'relay unavailable; reading Kafka');
        this.sources.metrics.fallbacks.inc();
        await this.readKafka(abort.signal).catch((failure: unknown) =>
          log.warn({ err: failure, connectionId: this.connectionId }, 'fallback reader failed'),
        );
      }
    }
  }

  private from(): number {
    return this.hub.position(this.partition) ?? -1;
  }

  /** This replica reads the partition itself from the feed's position, for a while. */
  private async readKafka(signal: AbortSignal): Promise<void> {
    const from = this.from();
    const tail = createEventTail({
      kafka: this.sources.kafka,
      topic: this.sources.topic,
      logger: this.sources.logger,
      partitions: [this.partition],
      groupPrefix: 'celeriac-gateway-fallback',
      start:
        from < 0
          ? { from: 'end', backfill: 0 }
          : { from: 'positions', offsets: new Map([[this.partition, from]]) },
      onPlan: (plan) => {
        const start = plan[0]?.start;
        if (start !== undefined && this.hub.position(this.partition) === undefined)
          void this.sink({ records: [], nextOffset: start });
      },
      onBatch: async (batch) => {
        if (signal.aborted) return;
        const mine = batch.records.filter((r) => r.value && r.key?.toString() === this.connectionId);
        const last = batch.records.at(-1);
        await this.sink({
          records: mine.map((r) => ({
            offset: r.offset,
            value: r.value as Buffer,
            timestampMs: r.timestampMs,
          })),
          nextOffset: last ? last.offset + 1 : this.from(),
        });
      },
    });
    try {
      await tail.start();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.sources.fallbackMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    } finally {
      await tail.stop().catch(() => {});
    }
  }

  /** The owner changed: drop the current source; run() reopens from the feed's position. */
  reopen(): void {
    this.current?.abort();
  }

  stop(): void {
    this.stopped = true;
    this.current?.abort();
  }
}
