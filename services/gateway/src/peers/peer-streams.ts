import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import { UnavailableError } from '../errors';
import { type HubLease, StreamHub } from '../streams/stream-hub';
import type { StreamMetrics } from '../streams/stream-metrics';
import { connectionPartitioner } from './connection-partition';
import { createHeldBytes } from './held-bytes';
import type { Membership } from './membership';
import { createOwnedTails, type OwnedTails } from './owned-tails';
import type { PeerChannels } from './peer-channels';
import type { PeerMetrics } from './peer-metrics';
import { createRelayClient } from './relay-client';
import { RelayFeed } from './relay-feed';
import { serveRelay } from './relay-source';
import { createRelayTaps } from './relay-taps';
import { ownerOf } from './rendezvous';

/** How long a new feed may take beyond the relay's connect time: a Kafka reader joining its group. */
const SOURCE_START_MS = 15_000;

/** The peers' settings (config.ts, peerOptionsOf). */
export interface PeerOptions {
  /** Peer gRPC listen address and the address other replicas dial. */
  host: string;
  port: number;
  advertisedAddress: string;
  memberId: string;
  renewMs: number;
  ttlMs: number;
  /** Bytes one relay may hold (owner side) before its peer is cut off and reopens. */
  relayBufferBytes: number;
  /** The same for all the relays this replica serves together. */
  servedBytes: number;
  /** Relayed connections one replica holds at once; past it, it reads the connection's partition itself. */
  maxFeeds: number;
  /** Ring entries of one relayed connection on a receiving replica. */
  relayRingEntries: number;
  /** Bytes of the rings of all relayed connections together; each gets an equal share. */
  relayRingBytes: number;
  connectMs: number;
  progressMs: number;
  fallbackMs: number;
  /** A relayed connection without local clients is dropped after this long. */
  idleMs: number;
}

/**
 * What peers add to the live streams: the main hub reads only the partitions this replica owns (plus
 * those its own clients still watch after a rebalance), and a connection in another partition is
 * served from a RelayFeed, one relay per connection. `hubFor` says which hub a new client joins.
 */
export function createPeerStreams(deps: {
  hub: StreamHub;
  membership: Membership;
  kafka: Kafka;
  topic: string;
  channels: PeerChannels;
  partitionCount: number;
  logger: Logger;
  metrics: StreamMetrics;
  peerMetrics: PeerMetrics;
  backfill: number;
  taskMemory: number;
  workerMemory: number;
  options: PeerOptions;
}) {
  const { hub, membership, options } = deps;
  const log = deps.logger.child({ component: 'peer-streams' });
  const partitionOf = connectionPartitioner(deps.partitionCount);
  const taps = createRelayTaps();
  const feeds = new Map<string, RelayFeed>();
  // Clients per connection, from the choice of their hub until their transport closes: on the main hub
  // they keep its partition read here, on a feed they keep the feed. Bounded by the open clients.
  const onMain = new Map<string, number>();
  const onFeed = new Map<string, number>();
  const lease = (hubOf: StreamHub, held: Map<string, number>, connectionId: string): HubLease => {
    held.set(connectionId, (held.get(connectionId) ?? 0) + 1);
    let released = false;
    return {
      hub: hubOf,
      release() {
        if (released) return;
        released = true;
        const left = (held.get(connectionId) ?? 1) - 1;
        if (left > 0) held.set(connectionId, left);
        else held.delete(connectionId);
      },
    };
  };
  const relayTo = createRelayClient({
    channels: deps.channels,
    connectMs: options.connectMs,
    stallMs: 3 * options.progressMs + options.connectMs,
  });
  const source = {
    hub,
    taps,
    kafka: deps.kafka,
    topic: deps.topic,
    logger: deps.logger,
    maxBufferedBytes: options.relayBufferBytes,
    heldBytes: createHeldBytes(options.servedBytes),
    progressMs: options.progressMs,
  };
  // The feeds together get what the main hub has (its task and worker memory, the ring bytes
  // setting), in equal shares: a replica's memory does not grow with the connections it relays.
  const share = (total: number, floor: number) => Math.max(floor, Math.ceil(total / options.maxFeeds));
  const feedBudget = {
    replayCapacity: options.relayRingEntries,
    replayBytes: share(options.relayRingBytes, 64 * 1024),
    taskMemory: share(deps.taskMemory, 1_000),
    workerMemory: share(deps.workerMemory, 100),
  };
  /** Partitions read here for clients that found every feed taken, while they wait for it to start. */
  const localReads = new Map<number, number>();
  const ownerAddress = (partition: number) => {
    const id = ownerOf(
      membership.members.map((m) => m.memberId),
      partition,
      deps.partitionCount,
    );
    return membership.members.find((m) => m.memberId === id)?.peerAddress;
  };

  /** Owned partitions, plus partitions the main hub still serves local clients of. */
  const wanted = (): Set<number> => {
    const set = new Set<number>();
    const members = membership.members.map((m) => m.memberId);
    for (let p = 0; p < deps.partitionCount; p += 1)
      if (ownerOf(members, p, deps.partitionCount) === membership.self.memberId) set.add(p);
    for (const connection of onMain.keys()) {
      const p = partitionOf(connection);
      if (hub.position(p) !== undefined) set.add(p);
    }
    for (const p of localReads.keys()) set.add(p);
    return set;
  };
  const tails: OwnedTails = createOwnedTails({
    kafka: deps.kafka,
    topic: deps.topic,
    logger: deps.logger,
    backfill: deps.backfill,
    hub,
    wanted,
  });

  const relay = (
    request: { connectionId: string; partition: number; from: number },
    sink: Parameters<typeof serveRelay>[2],
    signal: AbortSignal,
  ) => {
    const address = ownerAddress(request.partition);
    if (address === undefined) return Promise.reject(new Error('no gateway member owns the partition'));
    if (address === options.advertisedAddress) return serveRelay(source, request, sink, signal);
    return relayTo(address, request, sink, signal);
  };

  function feedOf(connectionId: string): RelayFeed {
    const feed = feeds.get(connectionId);
    if (feed) return feed;
    const feedHub = new StreamHub({
      kafka: deps.kafka,
      topic: deps.topic,
      logger: deps.logger,
      metrics: deps.metrics,
      ...feedBudget,
      backfill: 0,
      sparse: true,
    });
    const made = new RelayFeed(connectionId, partitionOf(connectionId), feedHub, {
      relay,
      kafka: deps.kafka,
      topic: deps.topic,
      logger: log,
      fallbackMs: options.fallbackMs,
      metrics: deps.peerMetrics,
    });
    feeds.set(connectionId, made);
    void made.run();
    return made;
  }

  /**
   * Every feed is taken: the client's partition is read by the main hub here, as without peers (more
   * Kafka reads, no more memory per connection). Its lease then keeps the partition read.
   */
  async function readHere(connectionId: string, partition: number): Promise<HubLease> {
    localReads.set(partition, (localReads.get(partition) ?? 0) + 1);
    try {
      const deadline = Date.now() + options.connectMs + SOURCE_START_MS;
      // A tail that fails to start is retried by the next reconcile, here a little later.
      while (!(tails.partitions.has(partition) && hub.position(partition) !== undefined)) {
        if (Date.now() > deadline) throw new UnavailableError('live stream source not reachable yet, retry');
        await tails.reconcile();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Leased in the same synchronous step as the check above: the partition stays wanted.
      return lease(hub, onMain, connectionId);
    } finally {
      const left = (localReads.get(partition) ?? 1) - 1;
      if (left > 0) localReads.set(partition, left);
      else localReads.delete(partition);
    }
  }

  /** Feeds whose clients all left go after `idleMs`; tails follow ownership and local clients. */
  function housekeeping(): void {
    const now = Date.now();
    for (const [connectionId, feed] of feeds) {
      if (onFeed.has(connectionId)) feed.idleSince = now;
      else if (now - feed.idleSince > options.idleMs) {
        feed.stop();
        feeds.delete(connectionId);
      }
    }
    void tails.reconcile().then(() => deps.peerMetrics.ownedPartitions.set(tails.partitions.size));
  }

  membership.onChange(() => {
    void tails.reconcile();
    for (const feed of feeds.values()) feed.reopen();
  });
  let timer: NodeJS.Timeout | undefined;

  return {
    /** The main hub's reader (StreamHub `tail` option). */
    tails,
    onEntry: taps.onEntry,
    source,
    partitionOf,
    get feeds(): number {
      return feeds.size;
    },
    /** The hub a new client of `connectionId` subscribes to, once it has a position. */
    async hubFor(connectionId: string): Promise<HubLease> {
      const partition = partitionOf(connectionId);
      // Checked and leased in one synchronous step: a reconcile cannot drop the partition in between.
      const onMainHub = () => tails.partitions.has(partition) && hub.position(partition) !== undefined;
      if (onMainHub()) return lease(hub, onMain, connectionId);
      if (!feeds.has(connectionId) && feeds.size >= options.maxFeeds)
        return readHere(connectionId, partition);
      const feed = feedOf(connectionId);
      const held = lease(feed.hub, onFeed, connectionId);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        // Room for a rebalance (the owner starting the partition) and then for a Kafka reader to start.
        timer = setTimeout(() => resolve('late'), options.connectMs + SOURCE_START_MS);
      });
      const outcome = await Promise.race([feed.ready, late]);
      clearTimeout(timer);
      // Neither the owner nor Kafka answered: the client retries rather than waits without bound.
      if (outcome === 'late') {
        held.release();
        throw new UnavailableError('live stream source not reachable yet, retry');
      }
      return held;
    },
    start() {
      timer = setInterval(housekeeping, options.renewMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      for (const feed of feeds.values()) feed.stop();
      feeds.clear();
    },
  };
}

export type PeerStreams = ReturnType<typeof createPeerStreams>;
