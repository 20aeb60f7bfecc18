/** What the shutdown path and the keep-alive timer need from every open stream. */
export interface LiveClient {
  /** Keep-alive: SSE `heartbeat` event, WebSocket ping. */
  heartbeat(now: Date): void;
  /** Tell the client to reconnect elsewhere and close; resolves when the socket is gone. */
  shutdown(): Promise<void>;
  /** Drop the socket without ceremony (after the shutdown deadline). */
  terminate(): void;
}

/** The open clients of one replica, capped so a flood of connections cannot exhaust memory. */
export class LiveClientSet {
  private readonly clients = new Set<LiveClient>();
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.capacity;
  }

  add(client: LiveClient): void {
    this.clients.add(client);
  }

  delete(client: LiveClient): void {
    this.clients.delete(client);
  }

  forEach(action: (client: LiveClient) => void): void {
    for (const client of [...this.clients]) action(client);
  }

  /** Everyone is asked to go; whoever is still there at the deadline is dropped. */
  async shutdownAll(deadlineMs: number): Promise<void> {
    const all = [...this.clients];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled(all.map((client) => client.shutdown())), deadline]);
    clearTimeout(timer);
    for (const client of all) client.terminate();
    this.clients.clear();
  }
}
