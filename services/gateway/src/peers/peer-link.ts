import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { RateLimiter } from '../auth/rate-limit';
import { createMembersStore } from '../data/members-store';
import type { PeerLink } from '../streams/live-streams';
import type { StreamHub } from '../streams/stream-hub';
import type { StreamMetrics } from '../streams/stream-metrics';
import type { InspectRelay } from './inspect-relay';
import { createPgMembership } from './membership';
import type { PeerChannels } from './peer-channels';
import type { PeerMetrics } from './peer-metrics';
import { createPeerStreams, type PeerOptions, type PeerStreams } from './peer-streams';
import { createRelayServer } from './relay-server';
import { createUsageExchange, type UsageExchangeOptions } from './usage-exchange';
import { usageHandler } from './usage-service';

/**
 * Gateway peers for the live streams (see README.md here): membership in PostgreSQL, the peer gRPC
 * server, and the per-connection relays. Built by gateway-peers.ts.
 */
export function createPeerLink(deps: {
  pool: pg.Pool;
  kafka: Kafka;
  topic: string;
  /** The token every call to this replica's peer server must carry. */
  token: string | undefined;
  /** Calls to the other replicas (gateway-peers.ts). */
  channels: PeerChannels;
  logger: Logger;
  options: PeerOptions;
  metrics: PeerMetrics;
  stream: { backfill: number; taskMemory: number; workerMemory: number };
  /** Worker refreshes coalesced across replicas: served on the peer gRPC server, told the members. */
  inspect: { relay: InspectRelay; handler: ReturnType<InspectRelay['handler']> };
  /** The fleet-wide request rate (usage-exchange.ts); absent when it is off. */
  usage?: UsageExchangeOptions & { limiter: Pick<RateLimiter, 'debit'> };
}): (hub: StreamHub, metrics: StreamMetrics) => PeerLink {
  return (hub, metrics) => {
    const membership = createPgMembership({
      store: createMembersStore(deps.pool),
      self: { memberId: deps.options.memberId, peerAddress: deps.options.advertisedAddress },
      renewMs: deps.options.renewMs,
      ttlMs: deps.options.ttlMs,
      logger: deps.logger,
    });
    let streams: PeerStreams | undefined;
    let partitionCount = 0;
    const usage = deps.usage && {
      exchange: createUsageExchange({
        ...deps.usage,
        membership,
        channels: deps.channels,
        logger: deps.logger,
      }),
      handler: usageHandler({ token: deps.token, limiter: deps.usage.limiter, metrics: deps.usage.metrics }),
    };
    const server = createRelayServer({
      host: deps.options.host,
      port: deps.options.port,
      token: deps.token,
      metrics: deps.metrics,
      source: () => (streams as PeerStreams).source,
      partitionCount: () => partitionCount,
      logger: deps.logger,
      inspect: deps.inspect.handler,
      usage: usage?.handler,
    });
    // A replica that left takes its channel with it.
    membership.onChange((members) => deps.channels.retain(members.map((member) => member.peerAddress)));
    deps.inspect.relay.attach({
      self: membership.self,
      get members() {
        return membership.members;
      },
      partitionCount: () => partitionCount,
    });
    let running = false;
    return {
      name: 'gateway-peers',
      get isRunning() {
        return running;
      },
      tail: () => (streams as PeerStreams).tails,
      onEntry: (entry, record) => streams?.onEntry(entry, record),
      hubFor: (connectionId) => (streams as PeerStreams).hubFor(connectionId),
      async start() {
        if (running) return;
        const admin = deps.kafka.admin();
        await admin.connect();
        try {
          partitionCount = (await admin.fetchTopicOffsets(deps.topic)).length;
        } finally {
          await admin.disconnect();
        }
        streams = createPeerStreams({
          hub,
          membership,
          kafka: deps.kafka,
          topic: deps.topic,
          channels: deps.channels,
          partitionCount,
          logger: deps.logger,
          metrics,
          peerMetrics: deps.metrics,
          ...deps.stream,
          options: deps.options,
        });
        await server.start();
        await membership.start();
        streams.start();
        usage?.exchange.start();
        running = true;
      },
      async stop() {
        if (!running) return;
        running = false;
        usage?.exchange.stop();
        await membership.stop();
        streams?.stop();
        await server.stop();
      },
    };
  };
}
