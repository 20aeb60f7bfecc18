import type { ServerResponse } from 'node:http';
import { Cursor, formatEventId, type Position } from './cursor';
import type { LiveClient } from './live-clients';
import type { Subscriber } from './stream-hub';
import type { StreamEntry, StreamKind } from './stream-entries';

export interface SseClientOptions {
  res: ServerResponse;
  connectionId: string;
  kinds: ReadonlySet<StreamKind>;
  resumeAfter: Position | null;
  /** Bytes the socket may hold unsent before the client counts as stuck. */
  maxBufferedBytes: number;
  /** Milliseconds the browser waits before reconnecting after we close. */
  retryMs: number;
  onSent: () => void;
  onCutOff: (reason: string) => void;
}

/**
 * One EventSource client. The socket's own write buffer is the per-client buffer: once it holds
 * more than `maxBufferedBytes`, the client is cut off with a reason and resumes by id.
 */
export class SseClient implements Subscriber, LiveClient {
  readonly taskUuid = null;
  readonly connectionId: string;
  private readonly cursor: Cursor;
  /** Last position processed for this client, filtered or not; the heartbeat carries it as its id. */
  private lastSeen: Position | null;
  private open = true;

  constructor(private readonly options: SseClientOptions) {
    this.connectionId = options.connectionId;
    this.cursor = Cursor.after(options.resumeAfter);
    this.lastSeen = options.resumeAfter;
  }

  get isOpen(): boolean {
    return this.open && !this.options.res.destroyed;
  }

  deliver(entry: StreamEntry): void {
    if (!this.isOpen) return;
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
    if (chunk) this.write(chunk);
  }

  heartbeat(now: Date): void {
    if (!this.isOpen) return;
    const id = this.lastSeen ? `id: ${formatEventId(this.lastSeen)}\n` : '';
    this.write(`${id}event: heartbeat\ndata: ${JSON.stringify({ timestamp: now.toISOString() })}\n\n`);
  }

  /** A notice the client can act on, sent without an id so it does not move the client's cursor. */
  notice(event: string, data: Record<string, unknown>): void {
    if (this.isOpen) this.options.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  shutdown(): Promise<void> {
    return this.close(`retry: ${this.options.retryMs}\nevent: reconnect\ndata: {"reason":"shutdown"}\n\n`);
  }

  terminate(): void {
    this.open = false;
    this.options.res.destroy();
  }

  private write(chunk: string): void {
    const res = this.options.res;
    res.write(chunk);
    if (res.writableLength > this.options.maxBufferedBytes) {
      this.options.onCutOff('slow-consumer');
      // Queued behind what the client has not read: it sees why it was cut off if it ever reads on.
      void this.close(`event: disconnect\ndata: {"reason":"slow-consumer"}\n\n`);
      setTimeout(() => this.terminate(), 5_000).unref();
    }
  }

  private close(lastWords: string): Promise<void> {
    const res = this.options.res;
    if (!this.open || res.destroyed) return Promise.resolve();
    this.open = false;
    return new Promise((resolve) => {
      res.once('close', () => resolve());
      res.end(lastWords);
    });
  }
}
