import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { encodeEvent } from '@celeriac/event-log/codec';
import { createKafka } from '@celeriac/event-log/kafka';
import type { CeleryEvent } from '@celeriac/proto/events';
import { parseConfig } from '@celeriac/service-runtime/config';
import { silentLogger } from '@celeriac/service-runtime/logger';
import express from 'express';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createApiKeyAuthenticator } from '../auth/api-keys';
import { createTenancy } from '../auth/tenancy';
import { gatewayConfigSchema, liveStreamOptionsOf } from '../config';
import { createAdminStore } from '../data/admin-store';
import { insertConnection, insertKey } from '../testing/gateway-fixture';
import { formatEventId } from './cursor';
import { createLiveStreams, type LiveStreamOptions, type LiveStreams } from './live-streams';
import { entryOf } from './stream-entries';
import { TaskTracker, WorkerTracker } from './trackers';

/**
 * Real pieces for the live-streams integration specs: a gateway-shaped HTTP server around the module
 * (real express, real `ws` upgrade path, real Kafka and PostgreSQL), the gateway's own API keys and
 * tenancy over the test's database, and a producer that writes CeleryEvents as the collector does.
 */

/**
 * Connections with exactly these ids and one real viewer API key per name, stored in the test's
 * database; returns each name's secret key, as a user would present it.
 */
export async function grantKeys<Name extends string>(
  databaseUrl: string,
  grants: Record<Name, string[] | 'all'>,
): Promise<Record<Name, string>> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const entries = Object.entries(grants) as [Name, string[] | 'all'][];
    const ids = [...new Set(entries.flatMap(([, grant]) => (grant === 'all' ? [] : grant)))];
    const { rows } = await pool.query<{ connection_id: string }>(
      'SELECT connection_id FROM celeriac.connections WHERE connection_id = ANY($1::uuid[])',
      [ids],
    );
    const existing = new Set(rows.map((row) => row.connection_id));
    for (const id of ids) if (!existing.has(id)) await insertConnection(pool, `streams-${id}`, id);
    const keys = Object.create(null) as Record<Name, string>;
    for (const [name, grant] of entries) keys[name] = await insertKey(pool, 'viewer', grant);
    return keys;
  } finally {
    await pool.end();
  }
}

export interface Replica {
  readonly base: string;
  readonly port: number;
  readonly streams: LiveStreams;
  readonly registry: Registry;
  /** Graceful: what SIGTERM would do. */
  stop(): Promise<void>;
  /** A crash: every socket dropped at once, nothing said to anyone. */
  kill(): Promise<void>;
}

export async function startReplica(options: {
  databaseUrl: string;
  brokers: string[];
  topic: string;
  streamOptions?: Partial<LiveStreamOptions>;
  /** An HTML page served at GET /page.html, so a browser's EventSource is same-origin. */
  page?: string;
}): Promise<Replica> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  const registry = new Registry();
  // The gateway's own authenticator and tenancy (as gateway-api.ts builds them) on the keys above.
  const admin = createAdminStore(pool);
  // Settings and client as main.ts makes them: the config schema's defaults, one Kafka client.
  const config = parseConfig(gatewayConfigSchema, {
    CELERIAC_DATABASE_URL: options.databaseUrl,
    CELERIAC_KAFKA_BROKERS: options.brokers.join(','),
    CELERIAC_EVENTS_TOPIC: options.topic,
  });
  const streams = createLiveStreams({
    logger: silentLogger,
    pool,
    kafka: createKafka({
      clientId: 'streams-replica',
      brokers: config.CELERIAC_KAFKA_BROKERS,
      logger: silentLogger,
    }),
    eventsTopic: config.CELERIAC_EVENTS_TOPIC,
    authenticator: createApiKeyAuthenticator({ store: admin, now: Date.now }),
    resolveConnection: createTenancy({ store: admin }).resolveConnection,
    registry,
    options: { ...liveStreamOptionsOf(config), heartbeatMs: 1_000, ...options.streamOptions },
  });
  const app = express();
  app.use(streams.router);
  const page = options.page;
  if (page) app.get('/page.html', (_req, res) => void res.type('html').send(page));
  const server: Server = createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => streams.handleUpgrade(req, socket, head));
  await streams.start();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed = false;
  const closeServer = async () => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end();
  };
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    streams,
    registry,
    async stop() {
      const closing = closeServer();
      await streams.stop();
      for (const socket of sockets) socket.destroy();
      await closing;
    },
    async kill() {
      for (const socket of sockets) socket.destroy();
      await streams.stop();
      await closeServer();
    },
  };
}

export interface Produced {
  readonly event: CeleryEvent;
  readonly partition: number;
  readonly offset: number;
}

/** What an SSE client of `connectionId` must receive for the whole log: the pure model, in log order. */
export function expectedEntries(
  connectionId: string,
  log: readonly Produced[],
): { id: string; event: string; data: string }[] {
  const trackers = { tasks: new TaskTracker(10_000), workers: new WorkerTracker(1_000) };
  const out: { id: string; event: string; data: string }[] = [];
  for (const { event, partition, offset } of log) {
    const entry = entryOf(event, partition, offset, trackers);
    if (event.connectionId !== connectionId) continue;
    for (const [index, item] of entry.sse.entries())
      out.push({ id: formatEventId({ partition, offset, index }), event: item.event, data: item.data });
  }
  return out;
}

/** The ids of the job events a client of `connectionId` must receive after `afterId` ('' for all). */
export function expectedAfter(connectionId: string, log: readonly Produced[], afterId: string): string[] {
  const ids = expectedEntries(connectionId, log)
    .filter((entry) => entry.event.startsWith('job:'))
    .map((entry) => entry.id);
  return ids.slice(ids.indexOf(afterId) + 1);
}

/** Writes events in order, one at a time per call, keyed by connection like the collector. */
export async function createEventProducer(brokers: string[], topic: string) {
  const kafka = createKafka({ clientId: 'streams-test', brokers, logger: silentLogger });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async send(events: CeleryEvent[]): Promise<Produced[]> {
      const produced: Produced[] = [];
      for (const event of events) {
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: [{ key: event.connectionId, value: encodeEvent(event) }],
        });
        produced.push({ event, partition: meta?.partition ?? 0, offset: Number(meta?.baseOffset ?? 0) });
      }
      return produced;
    },
    /** Many events in one request; the order within a partition is the order given. */
    async sendBatch(events: CeleryEvent[]): Promise<void> {
      await producer.send({
        topic,
        acks: -1,
        messages: events.map((event) => ({ key: event.connectionId, value: encodeEvent(event) })),
      });
    },
    async close(): Promise<void> {
      await producer.disconnect();
    },
  };
}
