import type { LiveClient, LiveClientSet } from './live-clients';
import type { StreamHub, Subscriber } from './stream-hub';
import type { StreamMetrics } from './stream-metrics';

/** setTimeout's longest delay; a session ending later is left to the periodic sweep, which checks expiry too. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Makes a client known to the replica (shutdown notices, keep-alives, the clients gauge) until its
 * transport closes, then forgets it everywhere. Subscribing to the hub stays with the caller: SSE and
 * WS differ in what must be in place before live entries may arrive. A stream opened with a dashboard
 * session ends when the session does: nothing announces an expiry, so each such client holds a timer.
 */
export function registerClient(
  deps: { hub: StreamHub; clients: LiveClientSet; metrics: StreamMetrics },
  client: LiveClient & Subscriber,
  stream: 'sse' | 'ws',
  transport: { once(event: 'close', listener: () => void): unknown },
): void {
  deps.clients.add(client);
  deps.metrics.clients.inc({ stream });
  const endsAt = client.grant.sessionEndsAt;
  const delay = endsAt === undefined ? undefined : Math.max(0, endsAt - Date.now());
  const expiry =
    delay === undefined || delay > MAX_TIMER_MS ? undefined : setTimeout(() => client.revoke(), delay);
  expiry?.unref();
  transport.once('close', () => {
    clearTimeout(expiry);
    deps.hub.unsubscribe(client);
    deps.clients.delete(client);
    deps.metrics.clients.dec({ stream });
  });
}
