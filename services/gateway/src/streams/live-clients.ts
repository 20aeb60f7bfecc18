import type { StreamGrant } from './revocation-sweep';

/** What the shutdown path, the keep-alive timer and the revocation sweep need from every open stream. */
export interface LiveClient {
  /** The key and connection the stream was opened with, rechecked every heartbeat interval. */
  readonly grant: StreamGrant;
  /** Keep-alive: SSE `heartbeat` event, WebSocket ping. */
  heartbeat(now: Date): void;
  /** Tell the client to reconnect elsewhere and close; resolves when the socket is gone. */
  shutdown(): Promise<void>;
  /** Drop the socket without ceremony (after the shutdown deadline). */
  terminate(): void;
  /** The key was revoked or the connection deleted: say so and close (SSE `disconnect`, WS 1008). */
  revoke(): void;
}

/** Keep-alives are spread over this many ticks per interval, so 5,000 clients never ping at once. */
export const HEARTBEAT_SLOTS = 15;

/** The open clients of one replica, capped so a flood of connections cannot exhaust memory. */
export class LiveClientSet {
  private readonly clients = new Map<LiveClient, number>();
  private readonly slots: Set<LiveClient>[] = Array.from({ length: HEARTBEAT_SLOTS }, () => new Set());
  private nextSlot = 0;
  private tick = 0;
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.capacity;
  }

  all(): IterableIterator<LiveClient> {
    return this.clients.keys();
  }

  add(client: LiveClient): void {
    const slot = this.nextSlot;
    this.nextSlot = (this.nextSlot + 1) % HEARTBEAT_SLOTS;
    this.clients.set(client, slot);
    this.slots[slot]?.add(client);
  }

  delete(client: LiveClient): void {
    const slot = this.clients.get(client);
    if (slot === undefined) return;
    this.clients.delete(client);
    this.slots[slot]?.delete(client);
  }

  /** Called HEARTBEAT_SLOTS times per keep-alive interval; each client's turn comes once per interval. */
  heartbeatSlot(now: Date): void {
    const slot = this.slots[this.tick];
    this.tick = (this.tick + 1) % HEARTBEAT_SLOTS;
    for (const client of [...(slot ?? [])]) client.heartbeat(now);
  }

  /** Everyone is asked to go; whoever is still there at the deadline is dropped. */
  async shutdownAll(deadlineMs: number): Promise<void> {
    const all = [...this.clients.keys()];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled(all.map((client) => client.shutdown())), deadline]);
    clearTimeout(timer);
    for (const client of all) client.terminate();
    this.clients.clear();
    for (const slot of this.slots) slot.clear();
  }
}
