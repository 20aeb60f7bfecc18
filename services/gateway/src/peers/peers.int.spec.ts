import { randomUUID } from 'node:crypto';
import type { CeleryEvent } from '@celeriac/proto/events';
import { startProjector } from '@celeriac/tests/harness/celeriac-services';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { EventSource } from 'eventsource';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { taskLifecycle, workerEvent } from '../streams/event-fixtures';
import {
  createEventProducer,
  expectedEntries,
  grantKeys,
  type Produced,
} from '../streams/live-streams.testkit';
import { celeryTaskFields, wsFrame } from '../streams/ws-frames';
import { liveMembers, metricOf, type PeerGateway, startPeerGateway } from '../testing/peer-gateways';

interface Received {
  id: string;
  event: string;
  data: string;
}
type Gateway = PeerGateway;

/** A wscelery client of one task: reconnects (to wherever `at` points now) until the test ends. */
interface TaskWatcher {
  connectionId: string;
  uuid: string;
  at: number;
  /** Frames of the current socket: a new socket gets the task's whole history again. */
  frames: Record<string, unknown>[];
  sockets: number;
}

const CONNECTIONS = Array.from({ length: 6 }, () => randomUUID());
const PARTITIONS = 6;

/** The frames a WS client of `uuid` must end with: every event of the task, in log order. */
function expectedFrames(uuid: string, log: readonly Produced[]): Record<string, unknown>[] {
  return log
    .filter(({ event }) => event.body?.$case === 'task' && event.body.value.uuid === uuid)
    .map(({ event }) => JSON.parse(wsFrame(celeryTaskFields(event), event.receivedAtMs)));
}

describe('three gateway replicas coordinating over gRPC (real Kafka, PostgreSQL, processes)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let producer: Awaited<ReturnType<typeof createEventProducer>>;
  let pool: pg.Pool;
  let key: string;
  const gateways: Gateway[] = [];
  const sources: EventSource[] = [];
  const sockets: WebSocket[] = [];
  let projector: ServiceProcess | undefined;
  let watching = true;

  const startReplica = async (): Promise<Gateway> => {
    const gateway = await startPeerGateway(
      { databaseUrl: db.url, eventsTopic: topics.topics.events as string },
      {
        CELERIAC_GATEWAY_PEER_TTL_MS: '4000',
        CELERIAC_GATEWAY_PEER_PROGRESS_MS: '200',
        CELERIAC_GATEWAY_PEER_CONNECT_MS: '1000',
        CELERIAC_GATEWAY_PEER_FALLBACK_MS: '2000',
        CELERIAC_GATEWAY_STREAM_HEARTBEAT_MS: '1000',
        // One key holds every client of this test (18 SSE, 180 WS); the fleet-wide limit has its own test.
        CELERIAC_GATEWAY_STREAMS_PER_KEY: '1000',
      },
    );
    gateways.push(gateway);
    return gateway;
  };
  const metric = (gateway: Gateway, name: string, labels = '') =>
    metricOf(`${gateway.url}/metrics`, name, labels);

  /** An EventSource whose reconnects go wherever `target` points now (a load balancer's choice). */
  const listen = (target: () => string, connectionId: string, sink: Received[]) => {
    const url = () => `${target()}/api/events/stream?connectionId=${connectionId}`;
    const source = new EventSource(url(), {
      fetch: (_input, init) =>
        fetch(url(), {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), Authorization: `Bearer ${key}` },
        }),
    });
    for (const kind of ['job:state_change', 'worker:heartbeat', 'worker:state_change'])
      source.addEventListener(kind, (message) =>
        sink.push({ id: message.lastEventId, event: kind, data: message.data }),
      );
    sources.push(source);
    return source;
  };

  /** Opens a WS for the watcher at `bases[watcher.at]`, and again whenever it closes. */
  const watch = (bases: readonly string[], watcher: TaskWatcher) => {
    const base = bases[watcher.at] as string;
    const url = `${base.replace('http', 'ws')}/ws/tasks/${watcher.uuid}?connectionId=${watcher.connectionId}`;
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
    const frames: Record<string, unknown>[] = [];
    watcher.frames = frames;
    watcher.sockets += 1;
    sockets.push(ws);
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (watching) setTimeout(() => watch(bases, watcher), 200);
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    topics = await createTestTopics(['events'], PARTITIONS);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    ({ key } = await grantKeys(db.url, { key: CONNECTIONS }));
    producer = await createEventProducer(readStackEnv().kafkaBrokers, topics.topics.events as string);
    // WS late joiners read a task's older events from the projection, as in production.
    projector = await startProjector({
      CELERIAC_DATABASE_URL: db.url,
      CELERIAC_KAFKA_BROKERS: readStackEnv().kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
    });
  });

  afterAll(async () => {
    watching = false;
    for (const socket of sockets) socket.terminate();
    for (const source of sources) source.close();
    await projector?.stop();
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    await producer?.close();
    await pool?.end();
    await topics?.remove();
    await db?.drop();
  });

  it('SSE and WS clients spread over the replicas get exactly the workload while one is killed -9, restarted, and one added', async () => {
    const [a, b, c] = [await startReplica(), await startReplica(), await startReplica()];
    await waitFor('three live members', async () => (await liveMembers(pool)) === 3);
    const bases = [a, b, c].map((gateway) => gateway.url);
    // Where new WS clients go: the load balancer's live replicas.
    const live = [0, 1, 2];
    const watchers: TaskWatcher[] = [];
    // One client per (connection, replica): every replica serves every connection, owned or relayed.
    const clients = CONNECTIONS.flatMap((connectionId) =>
      bases.map((_, at) => {
        const received: Received[] = [];
        const client = { connectionId, at, received, source: undefined as unknown as EventSource };
        client.source = listen(() => bases[client.at] as string, connectionId, received);
        return client;
      }),
    );
    await waitFor('every client connected', () =>
      clients.every((client) => client.source.readyState === client.source.OPEN),
    );

    const log: Produced[] = [];
    let produced = 0;
    let grown!: () => void;
    // The last third of the workload runs once the restarted and the added replica serve clients.
    const fourReplicas = new Promise<void>((resolve) => {
      grown = resolve;
    });
    const sending = (async () => {
      for (let round = 0; round < 30; round += 1) {
        if (round === 20) await fourReplicas;
        const events: CeleryEvent[] = [];
        const joinLate: TaskWatcher[] = [];
        for (const [index, connectionId] of CONNECTIONS.entries()) {
          if (round === 0)
            events.push(workerEvent(connectionId, 'worker-online', 'celery@w1', { freq: 2 }, Date.now()));
          const uuid = randomUUID();
          // One WS client per task, on the replicas in turn: two in three subscribe before the task's
          // events are produced (live, through a relay or not), one in three after (late join: history).
          const at = live[(round + index) % live.length] as number;
          const watcher: TaskWatcher = { connectionId, uuid, at, frames: [], sockets: 0 };
          watchers.push(watcher);
          if ((round + index) % 3 === 2) joinLate.push(watcher);
          else watch(bases, watcher);
          events.push(...taskLifecycle(connectionId, uuid, Date.now()));
          // Workers stay alive: an expiry straddling a resume point is not seen by a Kafka catch-up,
          // whose worker memory starts empty (src/streams/README.md), and this test is about transport.
          events.push(workerEvent(connectionId, 'worker-heartbeat', 'celery@w1', { freq: 2 }, Date.now()));
        }
        log.push(...(await producer.send(events)));
        for (const watcher of joinLate) watch(bases, watcher);
        produced = round + 1;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();

    await waitFor('a third of the workload', () => produced >= 10);
    await a.kill();
    // The load balancer sends the killed replica's clients to B; they resume with Last-Event-ID.
    live.splice(live.indexOf(0), 1);
    for (const client of [...clients, ...watchers]) if (client.at === 0) client.at = 1;
    await waitFor('the dead replica dropped from the members', async () => (await liveMembers(pool)) === 2, {
      timeoutMs: 10_000,
    });
    const restarted = await startReplica();
    const added = await startReplica();
    bases.push(restarted.url, added.url);
    live.push(3, 4);
    await waitFor('four live members', async () => (await liveMembers(pool)) === 4, { timeoutMs: 10_000 });
    grown();
    await sending;
    expect([restarted, added].every((gateway) => gateway.process.exitCode === null)).toBe(true);

    for (const client of clients) {
      const expected = expectedEntries(client.connectionId, log);
      const last = expected.at(-1)?.id;
      await waitFor(
        `client of ${client.connectionId} on replica ${client.at} to reach ${last}`,
        () => client.received.at(-1)?.id === last,
        { timeoutMs: 60_000 },
      );
      expect(client.received).toEqual(expected);
    }
    // Every WS client ends with its task's whole history, once, on whichever replica it is now.
    for (const watcher of watchers) {
      const expected = expectedFrames(watcher.uuid, log);
      await waitFor(
        `WS client of ${watcher.uuid} on replica ${watcher.at} to get ${expected.length} frames`,
        () => watcher.frames.length >= expected.length,
        { timeoutMs: 30_000 },
      );
      expect(watcher.frames).toEqual(expected);
    }
    // WS clients ended on every live replica, and those of the killed one came back on another.
    expect(new Set(watchers.map((watcher) => watcher.at))).toEqual(new Set([1, 2, 3, 4]));
    expect(watchers.filter((watcher) => watcher.sockets > 1).length).toBeGreaterThan(0);
    // The relays carried it: B and C read from Kafka only some partitions, and got the rest from owners.
    for (const gateway of [b, c]) {
      expect(await metric(gateway, 'celeriac_gateway_peer_partitions')).toBeLessThan(PARTITIONS);
      expect(await metric(gateway, 'celeriac_gateway_peer_relays', 'side="received"')).toBeGreaterThan(0);
    }
    let served = 0;
    for (const gateway of [b, c, restarted, added])
      served += await metric(gateway, 'celeriac_gateway_peer_relays', 'side="served"');
    expect(served).toBeGreaterThan(0);
  }, 300_000);

  it('a revoked key ends its streams on every replica, relayed or not, within one heartbeat interval', async () => {
    const live = gateways.filter(
      (gateway) => gateway.process.exitCode === null && gateway.process.signalCode === null,
    );
    expect(live.length).toBe(4);
    const { doomed } = await grantKeys(db.url, { doomed: CONNECTIONS });
    const streams = await Promise.all(
      live.flatMap((gateway) =>
        CONNECTIONS.slice(0, 3).map(async (connectionId) => {
          const abort = new AbortController();
          const response = await fetch(`${gateway.url}/api/events/stream?connectionId=${connectionId}`, {
            headers: { Authorization: `Bearer ${doomed}` },
            signal: abort.signal,
          });
          expect(response.status).toBe(200);
          const text = response.text().catch(() => 'aborted');
          return { text, abort };
        }),
      ),
    );
    await pool.query('UPDATE celeriac.api_keys SET revoked_at = now() WHERE key_hash = sha256($1::bytea)', [
      Buffer.from(doomed as string),
    ]);
    const revokedAt = Date.now();
    const bodies = await Promise.all(streams.map((stream) => stream.text));
    // Two intervals at most: the sweep's tick, plus a query that started just before the revocation.
    expect(Date.now() - revokedAt).toBeLessThan(2_500);
    for (const body of bodies) expect(body).toContain('event: disconnect\ndata: {"reason":"revoked"}');
  }, 60_000);
});
