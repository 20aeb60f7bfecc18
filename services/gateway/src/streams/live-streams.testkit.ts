import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { encodeEvent } from '@celeriac/event-log/codec';
import { createKafka } from '@celeriac/event-log/kafka';
import type { CeleryEvent } from '@celeriac/proto/events';
import { silentLogger } from '@celeriac/service-runtime/logger';
import express from 'express';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { Registry } from 'prom-client';
import { type Authenticator, canSee, type Principal } from '../auth/principal';
import { createLiveStreams, type LiveStreamOptions, type LiveStreams } from './live-streams';

/**
 * Real pieces for the live-streams integration specs: a gateway-shaped HTTP server around the module
 * (real express, real `ws` upgrade path, real Kafka and PostgreSQL), a key table standing in for the
 * gateway's API-key store (src/auth/api-keys.ts), and a producer that writes CeleryEvents as the collector does.
 */

export function principalFor(connectionIds: string[]): Principal {
  return {
    keyId: `k-${connectionIds.join('-')}`,
    role: 'viewer',
    allConnections: false,
    connectionIds: new Set(connectionIds),
  };
}

export function keyTable(keys: Record<string, Principal>): Authenticator {
  return {
    async authenticate(credentials) {
      const match = /^(?:Bearer|Token)\s+(\S+)$/i.exec(credentials.authorization ?? '');
      const key = match?.[1] ?? credentials.token;
      return (key && keys[key]) || null;
    },
  };
}

class TenancyError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'bad-request',
  ) {
    super(message);
  }
}

/** The tenancy rule of the REST API, reduced to canSee: unknown and foreign look the same. */
export async function resolveConnection(
  principal: Principal,
  requested: string | undefined,
): Promise<string> {
  if (requested === undefined) {
    if (principal.connectionIds.size === 1) return [...principal.connectionIds][0] as string;
    throw new TenancyError('connectionId is required', 'bad-request');
  }
  if (!canSee(principal, requested)) throw new TenancyError('connection not found', 'not-found');
  return requested;
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
  keys: Record<string, Principal>;
  streamOptions?: Partial<LiveStreamOptions>;
  /** An HTML page served at GET /page.html, so a browser's EventSource is same-origin. */
  page?: string;
}): Promise<Replica> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  const registry = new Registry();
  const streams = createLiveStreams({
    logger: silentLogger,
    pool,
    kafkaBrokers: options.brokers,
    eventsTopic: options.topic,
    authenticator: keyTable(options.keys),
    resolveConnection,
    registry,
    options: { heartbeatMs: 1_000, ...options.streamOptions },
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
