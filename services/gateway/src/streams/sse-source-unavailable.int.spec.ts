import { randomUUID } from 'node:crypto';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { type PrivateKafka, startPrivateKafka } from '@celeriac/tests/harness/private-kafka';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { EventSource } from 'eventsource';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionPartitioner } from '../peers/connection-partition';
import { ownerOf } from '../peers/rendezvous';
import { liveMembers, type PeerGateway, startPeerGateway } from '../testing/peer-gateways';
import { taskLifecycle } from './event-fixtures';
import { createEventProducer, expectedAfter, grantKeys, type Produced } from './live-streams.testkit';

const PARTITIONS = 3;
const RETRY_MS = 500;

/**
 * Peers on, two replicas on a Kafka broker of this test's own. The partition owner is killed -9 and
 * Kafka stopped: the other replica can get the connection's events from nobody. Its SSE clients must
 * get a 200 that tells them to come back (an EventSource gives up for good on an error status), and,
 * once Kafka is back, resume from their Last-Event-ID without a gap.
 */
describe('SSE when no replica and no Kafka can serve the connection', () => {
  let kafka: PrivateKafka;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let producer: Awaited<ReturnType<typeof createEventProducer>> | undefined;
  let pool: pg.Pool;
  const gateways: PeerGateway[] = [];
  const sources: EventSource[] = [];

  beforeAll(async () => {
    [kafka, db] = await Promise.all([startPrivateKafka(), createTestDatabase()]);
    const { topics } = await createTestTopics(['events'], PARTITIONS, kafka.brokers);
    const eventsTopic = topics.events as string;
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined);
    const fleet = { databaseUrl: db.url, eventsTopic };
    const env = {
      CELERIAC_KAFKA_BROKERS: kafka.brokers.join(','),
      CELERIAC_GATEWAY_PEER_CONNECT_MS: '1000',
      CELERIAC_GATEWAY_PEER_FALLBACK_MS: '2000',
      // The killed owner stays a member for the whole test: its partition is never read locally.
      CELERIAC_GATEWAY_PEER_TTL_MS: '300000',
      CELERIAC_GATEWAY_SSE_RETRY_MS: String(RETRY_MS),
    };
    for (const _ of [0, 1]) gateways.push(await startPeerGateway(fleet, env));
    await waitFor('two live members', async () => (await liveMembers(pool)) === 2);
    producer = await createEventProducer(kafka.brokers, eventsTopic);
  }, 300_000);

  afterAll(async () => {
    for (const source of sources) source.close();
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    await producer?.close().catch(() => undefined);
    await pool?.end();
    await db?.drop();
    // The broker's data directory goes with it, topic included; it may be down if the test failed.
    await kafka?.remove();
  }, 120_000);

  /** The member that owns the connection's partition, and the other one. */
  async function ownerAndRelay(connectionId: string): Promise<[PeerGateway, PeerGateway]> {
    const { rows } = await pool.query<{ member_id: string; peer_address: string }>(
      'SELECT member_id, peer_address FROM celeriac.gateway_members WHERE expires_at > now()',
    );
    const partition = connectionPartitioner(PARTITIONS)(connectionId);
    const ownerId = ownerOf(
      rows.map((row) => row.member_id),
      partition,
      PARTITIONS,
    );
    const address = rows.find((row) => row.member_id === ownerId)?.peer_address;
    const owner = gateways.find((gateway) => gateway.peerAddress === address) as PeerGateway;
    return [owner, gateways.find((gateway) => gateway !== owner) as PeerGateway];
  }

  /** An EventSource as a browser opens it; `lastEventId` as if it had seen that event before. */
  function listen(url: string, key: string, lastEventId: string) {
    const received: string[] = [];
    const notices: string[] = [];
    const source = new EventSource(url, {
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set('Authorization', `Bearer ${key}`);
        if (!headers.has('Last-Event-ID')) headers.set('Last-Event-ID', lastEventId);
        return fetch(input, { ...init, headers });
      },
    });
    source.addEventListener('job:state_change', (message) => received.push(message.lastEventId));
    source.addEventListener('reconnect', (message) => notices.push(message.data));
    sources.push(source);
    return { source, received, notices };
  }

  it('answers 200 with retry and a reconnect notice, then resumes from Last-Event-ID once Kafka is back', {
    timeout: 240_000,
  }, async () => {
    const connectionId = randomUUID();
    const { key } = await grantKeys(db.url, { key: [connectionId] });
    const [owner, relay] = await ownerAndRelay(connectionId);
    const path = `/api/events/stream?connectionId=${connectionId}&types=job`;
    const send = (producer as NonNullable<typeof producer>).send;
    const log: Produced[] = [];

    // A client of the owner sees the first task, then leaves; a second task follows while it is away.
    const first = new EventSource(`${owner.url}${path}`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), Authorization: `Bearer ${key}` } }),
    });
    sources.push(first);
    const seen: string[] = [];
    first.addEventListener('job:state_change', (message) => seen.push(message.lastEventId));
    await waitFor('the first client connected', () => first.readyState === first.OPEN);
    log.push(...(await send(taskLifecycle(connectionId, randomUUID()))));
    const seenAll = expectedAfter(connectionId, log, '');
    await waitFor('the first task on the owner', () => seen.length === seenAll.length);
    first.close();
    const lastEventId = seen.at(-1) as string;
    log.push(...(await send(taskLifecycle(connectionId, randomUUID()))));

    // The owner crashes and Kafka goes down: the relaying replica has no source for the connection.
    await owner.kill();
    await kafka.stop('SIGKILL');

    const client = listen(`${relay.url}${path}`, key, lastEventId);
    const response = await fetch(`${relay.url}${path}`, {
      headers: { Authorization: `Bearer ${key}`, 'Last-Event-ID': lastEventId },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // text() resolves only once the server ends the stream.
    const body = await response.text();
    expect(body).toContain(`retry: ${RETRY_MS}\n`);
    expect(body).toContain('event: reconnect\ndata: {"reason":"source-unavailable"}\n\n');
    expect(body).not.toContain('id:');

    await waitFor('the EventSource told to reconnect', () => client.notices.length > 0, {
      timeoutMs: 60_000,
    });
    expect(JSON.parse(client.notices[0] as string)).toEqual({ reason: 'source-unavailable' });
    expect(client.source.readyState).not.toBe(client.source.CLOSED);

    // Kafka comes back (the owner stays dead); a third task is produced meanwhile.
    await kafka.start();
    log.push(...(await send(taskLifecycle(connectionId, randomUUID()))));
    const expected = expectedAfter(connectionId, log, lastEventId);
    await waitFor(
      `the EventSource to reach ${expected.at(-1)}`,
      () => client.received.at(-1) === expected.at(-1),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    // Exactly the events after Last-Event-ID: the missed task and the new one, none twice, no gap.
    expect(client.received).toEqual(expected);
    expect(client.source.readyState).toBe(client.source.OPEN);
    expect(relay.process.exitCode).toBeNull();
  });
});
