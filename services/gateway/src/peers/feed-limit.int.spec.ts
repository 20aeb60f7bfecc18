import { randomUUID } from 'node:crypto';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskLifecycle } from '../streams/event-fixtures';
import {
  createEventProducer,
  expectedAfter,
  grantKeys,
  type Produced,
} from '../streams/live-streams.testkit';
import { metricOf, type PeerGateway, startReplicas } from '../testing/peer-gateways';
import { connectionPartitioner } from './connection-partition';
import { ownerOf } from './rendezvous';

const PARTITIONS = 3;

/**
 * A replica relays at most CELERIAC_GATEWAY_PEER_MAX_FEEDS connections (each relayed connection has a
 * ring and task memory of its own). Here the limit is 1: a client of a second connection owned
 * elsewhere is served by this replica reading that connection's partition itself, and both clients
 * get exactly their events.
 */
describe('the relayed connections a replica holds are capped', () => {
  let fleet: Awaited<ReturnType<typeof startReplicas>>;
  let producer: Awaited<ReturnType<typeof createEventProducer>>;
  const sources: EventSource[] = [];

  beforeAll(async () => {
    fleet = await startReplicas(2, { CELERIAC_GATEWAY_PEER_MAX_FEEDS: '1' });
    // Each replica reads only its own partitions once both see each other.
    await waitFor('the partitions split between the replicas', async () => {
      const read = await Promise.all(
        fleet.replicas.map((replica) =>
          metricOf(`${replica.url}/metrics`, 'celeriac_gateway_peer_partitions'),
        ),
      );
      return read.every((count) => count > 0) && read.reduce((sum, count) => sum + count, 0) === PARTITIONS;
    });
    producer = await createEventProducer(readStackEnv().kafkaBrokers, fleet.eventsTopic);
  }, 180_000);

  afterAll(async () => {
    for (const source of sources) source.close();
    await producer?.close();
    await fleet?.close();
  }, 60_000);

  /** Which replica reads each partition, as every replica computes it from the membership table. */
  async function layout(): Promise<{ ownerOf: (connectionId: string) => PeerGateway }> {
    const { rows } = await fleet.pool.query<{ member_id: string; peer_address: string }>(
      'SELECT member_id, peer_address FROM celeriac.gateway_members WHERE expires_at > now()',
    );
    const partitionOf = connectionPartitioner(PARTITIONS);
    return {
      ownerOf(connectionId) {
        const id = ownerOf(
          rows.map((row) => row.member_id),
          partitionOf(connectionId),
          PARTITIONS,
        );
        const address = rows.find((row) => row.member_id === id)?.peer_address;
        return fleet.replicas.find((replica) => replica.peerAddress === address) as PeerGateway;
      },
    };
  }

  function listen(url: string, key: string) {
    const received: string[] = [];
    const source = new EventSource(url, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), Authorization: `Bearer ${key}` } }),
    });
    source.addEventListener('job:state_change', (message) => received.push(message.lastEventId));
    sources.push(source);
    return { source, received };
  }

  it('serves a second connection owned elsewhere by reading its partition, and both clients get their events', {
    timeout: 120_000,
  }, async () => {
    const { ownerOf: owner } = await layout();
    const [here, there] = fleet.replicas as [PeerGateway, PeerGateway];
    // Two connections whose partitions the other replica owns.
    const elsewhere: string[] = [];
    while (elsewhere.length < 2) {
      const connectionId = randomUUID();
      if (owner(connectionId) === there) elsewhere.push(connectionId);
    }
    const [first, second] = elsewhere as [string, string];
    const { key } = await grantKeys(fleet.databaseUrl, { key: elsewhere });
    const readBefore = await metricOf(`${here.url}/metrics`, 'celeriac_gateway_peer_partitions');

    const a = listen(`${here.url}/api/events/stream?connectionId=${first}&types=job`, key);
    await waitFor('the first client connected', () => a.source.readyState === a.source.OPEN);
    const b = listen(`${here.url}/api/events/stream?connectionId=${second}&types=job`, key);
    await waitFor('the second client connected', () => b.source.readyState === b.source.OPEN, {
      timeoutMs: 30_000,
    });

    const log: Produced[] = [];
    for (const connectionId of elsewhere)
      log.push(...(await producer.send(taskLifecycle(connectionId, randomUUID()))));
    const expected = elsewhere.map((connectionId) => expectedAfter(connectionId, log, ''));
    await waitFor('both clients to get their task', () =>
      [a, b].every((client, i) => client.received.length >= (expected[i]?.length ?? 0)),
    );
    expect(a.received).toEqual(expected[0]);
    expect(b.received).toEqual(expected[1]);

    // One relay received (the first connection); the second connection's partition is read here.
    expect(await metricOf(`${here.url}/metrics`, 'celeriac_gateway_peer_relays', 'side="received"')).toBe(1);
    await waitFor(
      'the replica to count the partition it now reads',
      async () =>
        (await metricOf(`${here.url}/metrics`, 'celeriac_gateway_peer_partitions')) === readBefore + 1,
    );
  });
});
