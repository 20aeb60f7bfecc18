import type { LiveClient, LiveClientSet } from './live-clients';
import type { StreamHub, Subscriber } from './stream-hub';
import type { StreamMetrics } from './stream-metrics';

/**
 * Makes a client known to the replica (shutdown notices, keep-alives, the clients gauge) until its
 * transport closes, then forgets it everywhere. Subscribing to the hub stays with the caller: SSE and
 * WS differ in what must be in place before live entries may arrive.
 */
export function registerClient(
  deps: { hub: StreamHub; clients: LiveClientSet; metrics: StreamMetrics },
  client: LiveClient & Subscriber,
  stream: 'sse' | 'ws',
  transport: { once(event: 'close', listener: () => void): unknown },
): void {
  deps.clients.add(client);
  deps.metrics.clients.inc({ stream });
  transport.once('close', () => {
    deps.hub.unsubscribe(client);
    deps.clients.delete(client);
    deps.metrics.clients.dec({ stream });
  });
}
