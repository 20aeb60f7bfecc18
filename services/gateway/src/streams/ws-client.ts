import type { WebSocket } from 'ws';
import { closeWebSocket } from './close-reason';
import { Cursor } from './cursor';
import type { LiveClient } from './live-clients';
import type { StreamGrant } from './revocation-sweep';
import type { StreamEntry } from './stream-entries';
import type { Subscriber } from './stream-hub';
import type { HistoryEvent } from './task-history';

/** 1012 (service restart) tells clients to reconnect; 1013 (try again later) for cut-offs. */
export const CLOSE_RESTART = 1012;
export const CLOSE_TRY_AGAIN = 1013;
/** 1008 (policy violation): auth and tenancy, including a key revoked while the stream is open. */
export const CLOSE_POLICY = 1008;

export interface WsClientOptions {
  ws: WebSocket;
  grant: StreamGrant;
  taskUuid: string;
  /** Bytes the socket may hold unsent before the client counts as stuck. */
  maxBufferedBytes: number;
  /** Live frames held while history loads. */
  maxPendingFrames: number;
  onSent: () => void;
  onCutOff: (reason: string) => void;
}

/**
 * One wscelery subscriber. Live frames that arrive while history is loading wait in a bounded
 * list; history and that list are then merged by Kafka position, so the seam has no gap and
 * nothing twice.
 */
export class WsClient implements Subscriber, LiveClient {
  readonly connectionId: string;
  readonly grant: StreamGrant;
  readonly taskUuid: string;
  private readonly cursor = new Cursor();
  private pending: HistoryEvent[] | null = [];
  private alive = true;

  constructor(private readonly options: WsClientOptions) {
    this.grant = options.grant;
    this.connectionId = options.grant.connectionId;
    this.taskUuid = options.taskUuid;
    options.ws.on('pong', () => {
      this.alive = true;
    });
  }

  private get isOpen(): boolean {
    return this.options.ws.readyState === this.options.ws.OPEN;
  }

  deliver(entry: StreamEntry): void {
    if (entry.wsFrame === null || !this.isOpen) return;
    const event = { partition: entry.partition, offset: entry.offset, frame: entry.wsFrame };
    if (this.pending === null) {
      this.send(event);
    } else if (this.pending.length < this.options.maxPendingFrames) {
      this.pending.push(event);
    } else {
      this.cutOff('history-overflow');
    }
  }

  /** Sends history and what arrived meanwhile, in log order, then goes live. */
  finishHistory(history: readonly HistoryEvent[]): void {
    const held = this.pending ?? [];
    this.pending = null;
    const merged = [...history, ...held].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    for (const event of merged) this.send(event);
  }

  heartbeat(): void {
    if (!this.isOpen) return;
    // A peer that did not answer the previous ping is gone without a close; free its socket.
    if (!this.alive) {
      this.options.onCutOff('no-pong');
      return this.terminate();
    }
    this.alive = false;
    this.options.ws.ping();
  }

  close(code: number, reason: string): void {
    closeWebSocket(this.options.ws, code, reason);
  }

  shutdown(): Promise<void> {
    const ws = this.options.ws;
    if (ws.readyState === ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      this.close(CLOSE_RESTART, 'server restarting, reconnect');
    });
  }

  revoke(): void {
    this.cutOff('revoked', CLOSE_POLICY);
  }

  terminate(): void {
    this.options.ws.terminate();
  }

  private send(event: HistoryEvent): void {
    if (!this.isOpen || !this.cursor.isNew(event.partition, event.offset, 0)) return;
    this.cursor.advance({ partition: event.partition, offset: event.offset, index: 0 });
    this.options.ws.send(event.frame);
    this.options.onSent();
    if (this.options.ws.bufferedAmount > this.options.maxBufferedBytes) this.cutOff('slow-consumer');
  }

  private cutOff(reason: string, code = CLOSE_TRY_AGAIN): void {
    if (!this.isOpen) return;
    this.options.onCutOff(reason);
    this.pending = null;
    this.close(code, reason);
    // The close frame waits behind unread data; a client that never reads is dropped outright.
    setTimeout(() => this.terminate(), 5_000).unref();
  }
}
