import { decodeEvent } from '@celeriac/event-log/codec';
import { createEventTail, type EventTail, type TailBatch, type TailRecord } from '@celeriac/event-log/tail';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import { ReplayRing } from './replay-ring';
import { entryOf, type StreamEntry } from './stream-entries';
import type { StreamMetrics } from './stream-metrics';
import { TaskTracker, WorkerTracker } from './trackers';

/** A client stream. `deliver` must never throw: it filters, writes, or cuts its client off itself. */
export interface Subscriber {
  readonly connectionId: string;
  /** Null for a connection-wide (SSE) subscriber. */
  readonly taskUuid: string | null;
  deliver(entry: StreamEntry): void;
}

/**
 * Peers: the hub a client of a connection joins, held from the moment it is chosen until the client's
 * transport closes (`release`), so the partition or the relay it depends on is not dropped while the
 * client is still being admitted.
 */
export interface HubLease {
  readonly hub: StreamHub;
  release(): void;
}

export interface HubOptions {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  metrics: StreamMetrics;
  /** Entries kept for resume and late subscribers, and the bytes they may take. */
  replayCapacity: number;
  replayBytes: number;
  /** Records per partition read back from before the end at start, so resumes work right after a restart. */
  backfill: number;
  taskMemory: number;
  workerMemory: number;
  /** Peers (src/peers): what reads the topic instead of one tail of every partition. */
  tail?: (hub: StreamHub) => EventTail;
  /** Peers: the records are one connection's, relayed, so offsets skip the other connections' records. */
  sparse?: boolean;
  /** Peers: every record that became an entry, for relays to other replicas. */
  onEntry?: (entry: StreamEntry, record: TailRecord) => void;
}

/** Records ingested in one turn of the event loop. */
const INGEST_SLICE = 250;

const taskKey = (connectionId: string, uuid: string): string => `${connectionId}\u0000${uuid}`;

/**
 * One Kafka tail per replica, fanned out to every client: a record is decoded and serialized once,
 * then handed to the subscribers of its connection and task. Registration and replay happen in one
 * synchronous step, so no record can fall between the replay and the live feed.
 */
export class StreamHub {
  readonly ring: ReplayRing;
  private readonly tasks: TaskTracker;
  private readonly workers: WorkerTracker;
  private readonly byConnection = new Map<string, Set<Subscriber>>();
  private readonly byTask = new Map<string, Set<Subscriber>>();
  private readonly log: Logger;
  private tail: EventTail | undefined;
  /** Per partition, the offset the next record must have; older ones are kafkajs redeliveries. */
  private readonly nextOffset = new Map<number, number>();
  private readonly lows = new Map<number, number>();

  constructor(private readonly options: HubOptions) {
    this.ring = new ReplayRing(options.replayCapacity, options.replayBytes);
    this.tasks = new TaskTracker(options.taskMemory);
    this.workers = new WorkerTracker(options.workerMemory);
    this.log = options.logger.child({ component: 'stream-hub' });
  }

  async start(): Promise<void> {
    const tail = this.options.tail?.(this) ?? this.tailAll();
    await tail.start();
    this.tail = tail;
  }

  private tailAll(): EventTail {
    return createEventTail({
      kafka: this.options.kafka,
      topic: this.options.topic,
      logger: this.options.logger,
      start: { from: 'end', backfill: this.options.backfill },
      groupPrefix: 'celeriac-gateway-streams',
      onBatch: async (batch) => {
        // In slices, letting the event loop go between them: HTTP requests keep being answered during
        // an ingest burst, and sockets drain so a burst is not mistaken for a slow client.
        for (let from = 0; from < batch.records.length; from += INGEST_SLICE) {
          this.ingest({
            partition: batch.partition,
            records: batch.records.slice(from, from + INGEST_SLICE),
          });
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
      onPlan: (plan) => {
        for (const entry of plan) this.startPartition(entry.partition, entry.start, entry.low);
      },
    });
  }

  async stop(): Promise<void> {
    const tail = this.tail;
    this.tail = undefined;
    if (tail) await tail.stop();
  }

  get isRunning(): boolean {
    return this.tail?.isRunning ?? false;
  }

  /** `low` is the partition's first retained offset: a ring that starts there holds the whole log. */
  startPartition(partition: number, offset: number, low: number): void {
    this.nextOffset.set(partition, offset);
    this.lows.set(partition, low);
    this.ring.startPartition(partition, offset);
  }

  /** The offset the next record of `partition` will have, once the hub reads it. */
  position(partition: number): number | undefined {
    return this.nextOffset.get(partition);
  }

  /** Peers: the partition moved to another replica; its records no longer arrive here. */
  forgetPartition(partition: number): void {
    this.nextOffset.delete(partition);
    this.lows.delete(partition);
    this.ring.forgetPartition(partition);
  }

  /** Peers: a relayed connection's position moved on with no record of its own (others' records). */
  advance(partition: number, offset: number): void {
    if ((this.nextOffset.get(partition) ?? -1) < offset) this.nextOffset.set(partition, offset);
  }

  lowWatermark(partition: number): number {
    return this.lows.get(partition) ?? 0;
  }

  /** Public for the benchmark, which feeds records without Kafka in the way. */
  ingest(batch: TailBatch): void {
    for (const record of batch.records) {
      const expected = this.nextOffset.get(record.partition);
      if (expected !== undefined && record.offset < expected) continue;
      if (expected === undefined || (record.offset > expected && !this.options.sparse)) {
        // Retention removed records under us (or a partition appeared): the ring is whole only from here.
        if (expected !== undefined)
          this.log.warn({ partition: record.partition, expected, got: record.offset }, 'gap in the tail');
        this.ring.startPartition(record.partition, record.offset);
      }
      this.nextOffset.set(record.partition, record.offset + 1);
      let entry: StreamEntry;
      try {
        if (!record.value) continue;
        entry = entryOf(
          decodeEvent(record.value),
          record.partition,
          record.offset,
          { tasks: this.tasks, workers: this.workers },
          record.value,
        );
      } catch (error) {
        // The collector only writes CeleryEvents; anything else is skipped, never fatal.
        this.options.metrics.undecodable.inc();
        this.log.warn(
          { err: error, partition: record.partition, offset: record.offset },
          'undecodable record skipped',
        );
        continue;
      }
      this.ring.push(entry);
      this.options.onEntry?.(entry, record);
      this.options.metrics.records.inc();
      this.dispatch(entry);
    }
    this.options.metrics.replayBytes.set(this.ring.bytes);
    this.options.metrics.replayEntries.set(this.ring.size);
  }

  private dispatch(entry: StreamEntry): void {
    if (entry.sse.length > 0)
      for (const subscriber of this.byConnection.get(entry.connectionId) ?? [])
        this.deliverTo(subscriber, entry);
    if (entry.taskUuid !== null)
      for (const subscriber of this.byTask.get(taskKey(entry.connectionId, entry.taskUuid)) ?? [])
        this.deliverTo(subscriber, entry);
  }

  /** A subscriber that throws loses this entry; the others, and the tail, carry on. */
  private deliverTo(subscriber: Subscriber, entry: StreamEntry): void {
    try {
      subscriber.deliver(entry);
    } catch (error) {
      this.log.error({ err: error, partition: entry.partition, offset: entry.offset }, 'delivery failed');
    }
  }

  /**
   * Registers for live entries. A task subscriber first gets every entry of its task the ring holds,
   * in the same synchronous step; a connection-wide subscriber replays from the ring at its own pace.
   */
  subscribe(subscriber: Subscriber): void {
    if (subscriber.taskUuid === null) {
      addTo(this.byConnection, subscriber.connectionId, subscriber);
      return;
    }
    const uuid = subscriber.taskUuid;
    if (this.ring.holdsTask(subscriber.connectionId, uuid)) {
      for (const entry of this.ring.entries(
        (e) => e.taskUuid === uuid && e.connectionId === subscriber.connectionId,
      ))
        this.deliverTo(subscriber, entry);
    }
    addTo(this.byTask, taskKey(subscriber.connectionId, uuid), subscriber);
  }

  unsubscribe(subscriber: Subscriber): void {
    if (subscriber.taskUuid === null) removeFrom(this.byConnection, subscriber.connectionId, subscriber);
    else removeFrom(this.byTask, taskKey(subscriber.connectionId, subscriber.taskUuid), subscriber);
  }
}

function addTo(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(subscriber);
}

function removeFrom(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(subscriber);
  if (set.size === 0) index.delete(key);
}
