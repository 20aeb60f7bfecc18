import type { ServerResponse } from 'node:http';
import { Cursor, formatEventId, type Position } from './cursor';
import type { LiveClient } from './live-clients';
import type { ReplayRing } from './replay-ring';
import type { StreamGrant } from './revocation-sweep';
import type { StreamEntry, StreamKind } from './stream-entries';
import type { Subscriber } from './stream-hub';

export interface SseClientOptions {
  res: ServerResponse;
  grant: StreamGrant;
  kinds: ReadonlySet<StreamKind>;
  /** Resume point; the client replays the ring after it before going live. Null: live only. */
  resumeAfter: Position | null;
  /** The resume point is older than the ring: entries come from a catch-up reader first. */
  catchingUp?: boolean;
  ring: ReplayRing;
  /** Bytes of entries waiting for the socket before the client counts as too slow. */
  maxBufferedBytes: number;
  /** Milliseconds the browser waits before reconnecting after we close. */
  retryMs: number;
  onSent: () => void;
  onCutOff: (reason: string) => void;
}

const sizeOf = (entry: StreamEntry): number =>
  entry.sse.reduce((sum, item) => sum + item.data.length + 64, 0);

/**
 * One EventSource client. It writes only while its socket accepts data; what waits is a bounded
 * list of references to shared entries. A resume replays from the shared ring by sequence number,
 * at the client's pace, so neither a large replay nor a slow reader costs memory of its own beyond
 * `maxBufferedBytes`; past that the client is cut off with a reason and resumes by id.
 */
export class SseClient implements Subscriber, LiveClient {
  readonly taskUuid = null;
  readonly connectionId: string;
  readonly grant: StreamGrant;
  private readonly cursor: Cursor;
  /** Last position processed for this client, filtered or not; the heartbeat carries it as its id. */
  private lastSeen: Position | null;
  private replaySeq: number | null;
  private readonly queue: StreamEntry[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private open = true;
  private catchingUp: boolean;
  private readonly roomWaiters: (() => void)[] = [];

  constructor(private readonly options: SseClientOptions) {
    this.grant = options.grant;
    this.connectionId = options.grant.connectionId;
    this.cursor = Cursor.after(options.resumeAfter);
    this.lastSeen = options.resumeAfter;
    this.catchingUp = options.catchingUp ?? false;
    this.replaySeq = options.resumeAfter && !this.catchingUp ? options.ring.oldestSeq : null;
    options.res.once('close', () => this.wakeWaiters());
  }

  get isOpen(): boolean {
    return this.open && !this.options.res.destroyed;
  }

  deliver(entry: StreamEntry): void {
    // While catching up or replaying, live entries are reached through the ring they were pushed to.
    if (!this.isOpen || this.replaySeq !== null || this.catchingUp) return;
    this.enqueue(entry);
  }

  /** An entry read by the catch-up reader (older than the ring). */
  offerCatchUp(entry: StreamEntry): void {
    if (this.isOpen && this.catchingUp) this.enqueue(entry);
  }

  /** True when at most `bytes` wait for the socket (no need to wait for room). */
  hasRoom(bytes: number): boolean {
    return this.queuedBytes <= bytes;
  }

  /** Resolves once at most `bytes` wait for the socket (or the client is gone): the reader's backpressure. */
  waitForRoom(bytes: number): Promise<void> {
    if (!this.isOpen || this.queuedBytes <= bytes) return Promise.resolve();
    return new Promise((resolve) =>
      this.roomWaiters.push(() => {
        if (this.isOpen && this.queuedBytes > bytes) return false;
        resolve();
        return true;
      }),
    );
  }

  /** The reader reached what the ring holds: replay from there, then live. */
  finishCatchUp(): void {
    if (!this.catchingUp) return;
    this.catchingUp = false;
    this.replaySeq = this.options.ring.oldestSeq;
    this.pump();
  }

  private enqueue(entry: StreamEntry): void {
    this.queue.push(entry);
    this.queuedBytes += sizeOf(entry);
    if (this.queuedBytes > this.options.maxBufferedBytes) return this.cutOff('slow-consumer');
    this.pump();
  }

  heartbeat(now: Date): void {
    // A client busy receiving needs no keep-alive, and its queue must stay in order.
    if (!this.isOpen || this.waitingForDrain || this.queue.length > 0) return;
    const id = this.lastSeen ? `id: ${formatEventId(this.lastSeen)}\n` : '';
    this.options.res.write(
      `${id}event: heartbeat\ndata: ${JSON.stringify({ timestamp: now.toISOString() })}\n\n`,
    );
  }

  /** A notice the client can act on, sent without an id so it does not move the client's cursor. */
  notice(event: string, data: Record<string, unknown>): void {
    if (this.isOpen) this.options.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Starts the replay, if any. */
  begin(): void {
    this.pump();
  }

  shutdown(): Promise<void> {
    return this.close(reconnectNotice(this.options.retryMs, 'shutdown'));
  }

  revoke(): void {
    this.cutOff('revoked');
  }

  terminate(): void {
    this.open = false;
    this.options.res.destroy();
    this.wakeWaiters();
  }

  private next(): StreamEntry | undefined {
    const ring = this.options.ring;
    while (this.replaySeq !== null) {
      if (this.replaySeq < ring.oldestSeq) {
        // Fell a whole ring behind while replaying.
        this.cutOff('slow-consumer');
        return undefined;
      }
      if (this.replaySeq >= ring.endSeq) {
        this.replaySeq = null;
        break;
      }
      const entry = ring.at(this.replaySeq);
      this.replaySeq += 1;
      if (entry && entry.connectionId === this.connectionId && entry.sse.length > 0) return entry;
    }
    const entry = this.queue.shift();
    if (entry) this.queuedBytes -= sizeOf(entry);
    return entry;
  }

  private pump(): void {
    if (this.waitingForDrain) return;
    this.wakeWaiters();
    const res = this.options.res;
    for (;;) {
      if (!this.isOpen) return this.wakeWaiters();
      const entry = this.next();
      if (!entry) return this.wakeWaiters();
      const chunk = this.format(entry);
      if (chunk && !res.write(chunk)) {
        this.waitingForDrain = true;
        res.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
        return;
      }
    }
  }

  private wakeWaiters(): void {
    for (let i = this.roomWaiters.length - 1; i >= 0; i -= 1)
      if (this.roomWaiters[i]?.()) this.roomWaiters.splice(i, 1);
  }

  private format(entry: StreamEntry): string {
    let chunk = '';
    entry.sse.forEach((item, index) => {
      if (!this.cursor.isNew(entry.partition, entry.offset, index)) return;
      const position = { partition: entry.partition, offset: entry.offset, index };
      this.cursor.advance(position);
      this.lastSeen = position;
      if (!this.options.kinds.has(item.kind)) return;
      chunk += `id: ${formatEventId(position)}\nevent: ${item.event}\ndata: ${item.data}\n\n`;
      this.options.onSent();
    });
    return chunk;
  }

  /** Ends the stream with `event: disconnect` carrying the reason (slow-consumer, revoked, idle-catch-up). */
  cutOff(reason: string): void {
    if (!this.open) return;
    this.options.onCutOff(reason);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.replaySeq = null;
    // Queued behind what the client has not read: it sees why it was cut off if it ever reads on.
    void this.close(`event: disconnect\ndata: ${JSON.stringify({ reason })}\n\n`);
    setTimeout(() => this.terminate(), 5_000).unref();
  }

  private close(lastWords: string): Promise<void> {
    const res = this.options.res;
    if (!this.open || res.destroyed) return Promise.resolve();
    this.open = false;
    this.wakeWaiters();
    return new Promise((resolve) => {
      res.once('close', () => resolve());
      res.end(lastWords);
    });
  }
}

/**
 * Asks the client to come back in `retryMs` with its Last-Event-ID (an EventSource does so by itself
 * when a 200 stream ends; it gives up for good on an error status, so transient refusals use this).
 */
export function reconnectNotice(retryMs: number, reason: string): string {
  return `retry: ${retryMs}\nevent: reconnect\ndata: ${JSON.stringify({ reason })}\n\n`;
}
