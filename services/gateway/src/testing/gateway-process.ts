import { randomUUID } from 'node:crypto';
import { startGateway } from '@celeriac/tests/harness/celeriac-services';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import pg from 'pg';
import { WebSocket } from 'ws';
import { insertKey } from './gateway-fixture';
import { metricOf } from './peer-gateways';

/**
 * The gateway as deployed (its own process, `main.ts`, configured by environment) over a fresh database
 * and topic, for tests of what a replica does under abuse: it must stay up, and its quotas and
 * revocation are wired exactly as in production.
 */
export async function startGatewayProcess(env: Record<string, string>) {
  const [db, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'])]);
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  pool.on('error', () => {});
  const topic = topics.topics.events as string;
  let gateway: (ServiceProcess & { url: string }) | undefined;
  try {
    gateway = await startGateway({
      CELERIAC_DATABASE_URL: db.url,
      CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topic,
      ...env,
    });
  } catch (error) {
    await pool.end();
    await Promise.allSettled([db.drop(), topics.remove()]);
    throw error;
  }
  const service = gateway;
  return {
    url: service.url,
    service,
    pool,
    topic,
    databaseUrl: db.url,
    get alive(): boolean {
      return service.process.exitCode === null && service.process.signalCode === null;
    },
    /** A key of `role` for `connections`, with its id (what the admin API revokes). */
    async key(role: 'viewer' | 'operator' | 'admin', connections: string[] | 'all') {
      const key = await insertKey(pool, role, connections);
      const { rows } = await pool.query<{ key_id: string }>(
        'SELECT key_id FROM celeriac.api_keys WHERE key_hash = sha256($1::bytea)',
        [Buffer.from(key)],
      );
      return { key, keyId: rows[0]?.key_id as string };
    },
    /** A gauge or counter of /metrics, summed over the label sets matching `labels`. */
    metric(name: string, labels = ''): Promise<number> {
      return metricOf(`${service.url}/metrics`, name, labels);
    },
    async close() {
      await service.stop();
      await pool.end();
      await Promise.allSettled([db.drop(), topics.remove()]);
    },
  };
}

export type GatewayProcess = Awaited<ReturnType<typeof startGatewayProcess>>;

/** An SSE stream read as text; `text` grows as events arrive, `ended` settles when the server closes. */
export async function openSse(base: string, key: string, query = '', headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(`${base}/api/events/stream${query}`, {
    headers: { authorization: `Bearer ${key}`, ...headers },
    signal: abort.signal,
  });
  const stream = {
    status: response.status,
    headers: response.headers,
    text: '',
    ended: Promise.resolve(),
    close: () => abort.abort(),
  };
  if (response.status !== 200) {
    stream.text = await response.text();
    return stream;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  stream.ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        stream.text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted by the test
    }
  })();
  return stream;
}

export type SseStream = Awaited<ReturnType<typeof openSse>>;

/** A WebSocket to a task path; `closed` resolves with the close code and reason. */
export function openWs(base: string, key: string, path: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  ws.on('error', () => {});
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  return { ws, frames, closed };
}

/**
 * SSE and WS clients of one gateway process, closed together at the end of a file. `clients` reads
 * the replica's open-stream gauge (a stream counts once it is admitted).
 */
export function streamClients(gw: GatewayProcess) {
  const opened: Array<() => void> = [];
  return {
    async sse(key: string, query = '', headers: Record<string, string> = {}) {
      const stream = await openSse(gw.url, key, query, headers);
      opened.push(stream.close);
      return stream;
    },
    ws(key: string, task: string = randomUUID()) {
      const socket = openWs(gw.url, key, `/ws/tasks/${task}`);
      opened.push(() => socket.ws.terminate());
      return socket;
    },
    clients: (stream: 'sse' | 'ws') => gw.metric('celeriac_gateway_stream_clients', `stream="${stream}"`),
    track(close: () => void) {
      opened.push(close);
    },
    closeAll() {
      for (const close of opened.splice(0)) close();
    },
  };
}

/** Late WS subscribers read history older than the ring from the projector's rows: say they are all there. */
export async function markProjected(gw: GatewayProcess): Promise<void> {
  for (const partition of [0, 1, 2])
    await gw.pool.query(
      `INSERT INTO celeriac.projector_offsets (consumer_group, topic, kafka_partition, next_offset)
       VALUES ('celeriac-projector', $1, $2, 1000000)`,
      [gw.topic, partition],
    );
}
