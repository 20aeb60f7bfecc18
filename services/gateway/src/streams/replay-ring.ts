import type { StreamEntry } from './stream-entries';

/**
 * The most recent stream entries of this replica, in arrival order, bounded by count and by bytes
 * (`entry.bytes`). It is what a reconnecting SSE client and a late WebSocket subscriber are served
 * from, so one replica's memory is fixed whatever the clients ask for and whatever the workers send:
 * a tenant whose tasks return megabytes shortens the ring (resumes further back go to a Kafka
 * catch-up) instead of growing it. An entry larger than the whole budget is still held, alone, so
 * the ring stays contiguous; at most the budget plus one record.
 */
export class ReplayRing {
  private readonly slots: (StreamEntry | undefined)[];
  private head = 0;
  private length = 0;
  /** Sequence number the next pushed entry gets; entries keep theirs while they stay in the ring. */
  private nextSeq = 0;
  private heldBytes = 0;
  /** Per partition, the first offset from which every record of the partition is in the ring. */
  private readonly coveredFrom = new Map<number, number>();
  /** Entries per task, so a subscriber to a task the ring does not hold costs no scan. */
  private readonly taskCounts = new Map<string, number>();

  constructor(
    readonly capacity: number,
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    this.slots = new Array<StreamEntry | undefined>(Math.max(1, capacity));
  }

  /** The tail starts a partition at `offset`: the ring holds everything from there on. */
  startPartition(partition: number, offset: number): void {
    this.coveredFrom.set(partition, offset);
  }

  /** The partition is no longer read here: the ring holds none of its future records. */
  forgetPartition(partition: number): void {
    this.coveredFrom.delete(partition);
  }

  push(entry: StreamEntry): void {
    while (
      this.length > 0 &&
      (this.length === this.slots.length || this.heldBytes + entry.bytes > this.maxBytes)
    )
      this.evictOldest();
    this.slots[(this.head + this.length) % this.slots.length] = entry;
    this.length += 1;
    this.heldBytes += entry.bytes;
    this.nextSeq += 1;
    this.countTask(entry, 1);
  }

  private evictOldest(): void {
    const evicted = this.slots[this.head];
    this.slots[this.head] = undefined;
    if (evicted) {
      if (this.coveredFrom.has(evicted.partition))
        this.coveredFrom.set(evicted.partition, evicted.offset + 1);
      this.countTask(evicted, -1);
      this.heldBytes -= evicted.bytes;
    }
    this.head = (this.head + 1) % this.slots.length;
    this.length -= 1;
  }

  /** Estimated bytes of the entries held (see StreamEntry.bytes). */
  get bytes(): number {
    return this.heldBytes;
  }

  holdsTask(connectionId: string, taskUuid: string): boolean {
    return this.taskCounts.has(`${connectionId}\u0000${taskUuid}`);
  }

  private countTask(entry: StreamEntry, delta: number): void {
    if (entry.taskUuid === null) return;
    const key = `${entry.connectionId}\u0000${entry.taskUuid}`;
    const count = (this.taskCounts.get(key) ?? 0) + delta;
    if (count > 0) this.taskCounts.set(key, count);
    else this.taskCounts.delete(key);
  }

  /** The sequence number of the oldest entry still held. */
  get oldestSeq(): number {
    return this.nextSeq - this.length;
  }

  /** The sequence number the next entry will get. */
  get endSeq(): number {
    return this.nextSeq;
  }

  /** The entry with sequence number `seq`, or undefined once evicted or not yet pushed. */
  at(seq: number): StreamEntry | undefined {
    if (seq < this.oldestSeq || seq >= this.nextSeq) return undefined;
    return this.slots[(this.head + (seq - this.oldestSeq)) % this.slots.length];
  }

  /** True when the ring holds every record of `partition` from `offset` on. */
  covers(partition: number, offset: number): boolean {
    const from = this.coveredFrom.get(partition);
    return from !== undefined && from <= offset;
  }

  coverage(): ReadonlyMap<number, number> {
    return this.coveredFrom;
  }

  /** Oldest first. */
  *entries(filter: (entry: StreamEntry) => boolean): Generator<StreamEntry> {
    for (let i = 0; i < this.length; i += 1) {
      const entry = this.slots[(this.head + i) % this.slots.length];
      if (entry && filter(entry)) yield entry;
    }
  }

  get size(): number {
    return this.length;
  }
}
