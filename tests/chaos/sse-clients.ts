/**
 * Stream clients as a dashboard runs them: each holds one SSE stream through the load balancer and,
 * whenever it ends (replica killed, drained or restarted, HAProxy refusing while no replica is
 * ready), reconnects with the last id it saw in `Last-Event-ID`, as EventSource does. Each keeps
 * every event it received across all its connections, so the test can look for gaps and duplicates.
 */
import http from 'node:http';

export interface StreamEvent {
  id: string;
  task: string;
  state: string;
}

export interface SseClient {
  readonly index: number;
  /** Every `job:state_change` received, in order, across reconnects. */
  readonly events: StreamEvent[];
  /** Notices that would mean lost continuity (`reset`), by reason. */
  readonly resets: string[];
  /** Successful (200) stream opens; the first is not a reconnect. */
  opens: number;
  /** Refused attempts (non-200 from HAProxy or a gateway, refused connections). */
  refusals: number;
  readonly connected: boolean;
  close(): void;
}

interface Pending {
  id?: string;
  event?: string;
  data: string[];
}

export function openSseClient(index: number, baseUrl: string, path: string): SseClient {
  let lastEventId: string | undefined;
  let retryMs = 500;
  let closed = false;
  let request: http.ClientRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  const client = {
    index,
    events: [] as StreamEvent[],
    resets: [] as string[],
    opens: 0,
    refusals: 0,
    connected: false,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      request?.destroy();
    },
  };

  const dispatch = (pending: Pending) => {
    // EventSource keeps the last id of any event, heartbeats included (they carry the cursor).
    if (pending.id !== undefined) lastEventId = pending.id;
    if (pending.event === 'reset') client.resets.push(pending.data.join('\n'));
    if (pending.event === 'job:state_change' && pending.id !== undefined) {
      const data = JSON.parse(pending.data.join('\n')) as { id: string; state: string };
      client.events.push({ id: pending.id, task: data.id, state: data.state });
    }
  };

  const reconnect = (delayMs: number) => {
    client.connected = false;
    request = undefined;
    if (closed) return;
    // The browser's retry delay: a timer before the next attempt, not a test synchronization.
    timer = setTimeout(connect, delayMs);
  };

  function connect(): void {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
    const req = http.get(`${baseUrl}${path}`, { headers, agent: false });
    request = req;
    req.on('error', () => {
      if (request === req) {
        client.refusals += client.connected ? 0 : 1;
        reconnect(retryMs);
      }
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        client.refusals += 1;
        res.resume();
        const after = Number(res.headers['retry-after']);
        res.on('end', () =>
          reconnect(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 2000) : 500),
        );
        return;
      }
      client.opens += 1;
      client.connected = true;
      res.setEncoding('utf8');
      let buffer = '';
      let pending: Pending = { data: [] };
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (line === '') {
            dispatch(pending);
            pending = { data: [] };
            continue;
          }
          const colon = line.indexOf(':');
          if (colon === 0) continue;
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') pending.id = value;
          else if (field === 'event') pending.event = value;
          else if (field === 'data') pending.data.push(value);
          else if (field === 'retry' && /^\d{1,6}$/.test(value)) retryMs = Math.min(Number(value), 2000);
        }
      });
      res.on('close', () => {
        if (request === req) reconnect(retryMs);
      });
    });
  }

  connect();
  return client;
}
