/** The peers benchmark's SSE clients: many idle ones per replica, and watchers that time each event. */
import { sseClient } from '@celeriac/gateway/streams/bench/sse-client';
import type { Gateway } from './peers-tier';

const streamPath = (connectionId: string) => `/api/events/stream?connectionId=${connectionId}&types=job`;

export interface Held {
  opened: number;
  failed: number;
  firstError: string | undefined;
  ms: number;
  close(): void;
}

/**
 * `count` SSE clients on one replica, spread over `connections` (no traffic on them: what is held
 * is sockets and subscriptions, not fan-out), opened `concurrency` at a time.
 */
export async function holdClients(
  gateway: Gateway,
  connections: readonly string[],
  count: number,
  /** Client i presents key i mod n, n = count / perKey (so the clients opened at once use different keys). */
  keys: readonly string[],
  perKey: number,
  concurrency = 50,
): Promise<Held> {
  const clients: { close(): void }[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = Date.now();
  const opener = async () => {
    while (next < count) {
      const connectionId = connections[next % connections.length] as string;
      const key = keys[next % Math.min(keys.length, Math.ceil(count / perKey))] as string;
      next += 1;
      try {
        clients.push(await sseClient({ port: gateway.port, path: streamPath(connectionId), key }));
      } catch (error) {
        failed += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, opener));
  return {
    opened: clients.length,
    failed,
    firstError,
    ms: Date.now() - started,
    close: () => {
      for (const client of clients) client.close();
    },
  };
}

/** One job:state_change received: the event's stamp and how long after it the client parsed it. */
export interface Sample {
  stampMs: number;
  latencyMs: number;
}

export interface Watcher {
  readonly connectionId: string;
  readonly gateway: Gateway;
  readonly samples: Sample[];
  close(): void;
}

export async function watch(gateway: Gateway, connectionId: string, key: string): Promise<Watcher> {
  const samples: Sample[] = [];
  const client = await sseClient({
    port: gateway.port,
    path: streamPath(connectionId),
    key,
    onEvent: (event, data) => {
      if (event !== 'job:state_change') return;
      const stampMs = Date.parse((JSON.parse(data) as { timestamp: string }).timestamp);
      samples.push({ stampMs, latencyMs: Date.now() - stampMs });
    },
  });
  return { connectionId, gateway, samples, close: () => client.close() };
}
