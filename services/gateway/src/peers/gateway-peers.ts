import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { ConcurrencyQuotas, QuotaLimits } from '../auth/concurrency-quotas';
import type { RateLimiter } from '../auth/rate-limit';
import type { Inspector } from '../control/inspector';
import { createFleetSlotsStore, type FleetKind, type FleetScope } from '../data/fleet-slots-store';
import type { StreamQuotas } from '../streams/stream-admission';
import { createFleetSlots } from './fleet-slots';
import { createInspectRelay } from './inspect-relay';
import { createPeerChannels } from './peer-channels';
import { createPeerLink } from './peer-link';
import { createPeerMetrics } from './peer-metrics';
import type { PeerOptions } from './peer-streams';
import { createUsageLedger } from './usage-ledger';
import { createUsageMetrics } from './usage-metrics';

/** Largest relay batch a replica accepts from a peer. */
const RELAY_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Everything the peers are configured with (config.ts, peerOptionsOf). */
export interface GatewayPeersOptions extends PeerOptions {
  inspect: { marginMs: number; maxReplyBytes: number };
  /** The fleet-wide request rate; `intervalMs` 0 turns the exchange off. */
  usage: { intervalMs: number; maxCallers: number; maxBytes: number };
}

/**
 * What peers add to a gateway, built in one place (see README.md here): the gRPC channels to the
 * other replicas, inspect refreshes coalesced across them, the per-key request rate and the stream
 * and result-wait limits counted over the fleet, and the live streams' partition ownership and
 * relays. main.ts builds it only when peers are enabled and hands each part to the component that
 * uses it; `close` ends the channels once everything using them stopped.
 */
export function createGatewayPeers(deps: {
  options: GatewayPeersOptions;
  pool: pg.Pool;
  /** The Control token: peers authenticate to each other with it. */
  token: string | undefined;
  registry: Registry;
  logger: Logger;
}) {
  const { options } = deps;
  const channels = createPeerChannels({
    token: deps.token,
    maxReceiveBytes: Math.max(RELAY_MESSAGE_BYTES, options.inspect.maxReplyBytes),
  });
  const inspectRelay = createInspectRelay({
    token: deps.token,
    channels,
    marginMs: options.inspect.marginMs,
    maxReplyBytes: options.inspect.maxReplyBytes,
    registry: deps.registry,
    logger: deps.logger,
  });
  const usageMetrics = createUsageMetrics(deps.registry);
  const usageLedger =
    options.usage.intervalMs > 0
      ? createUsageLedger({ maxBytes: options.usage.maxBytes, onFull: () => usageMetrics.ledgerFull.inc() })
      : undefined;

  return {
    /** The inspector's hook (gateway-api.ts): a worker refresh runs on one replica per connection. */
    inspectForward: inspectRelay.forward,
    /** The rate limiter's `onTaken`: requests admitted here, reported to the other replicas. */
    recordRequest: usageLedger?.record,

    /** `quotas` with the stream and result-wait limits counted over every live replica. */
    fleetQuotas<Q extends { concurrency: ConcurrencyQuotas }>(
      quotas: Q,
      limits: QuotaLimits,
      onRefused: (kind: FleetKind, scope: FleetScope) => void,
    ): Q & Required<Pick<StreamQuotas, 'fleet'>> {
      const fleetLimit = (kind: FleetKind) => ({
        key: limits[kind].perKey,
        connection: limits[kind].perConnection,
      });
      const fleet = createFleetSlots({
        store: createFleetSlotsStore(deps.pool, options.memberId),
        limits: { stream: fleetLimit('stream'), 'result-wait': fleetLimit('result-wait') },
        local: quotas.concurrency.held,
        logger: deps.logger,
        onRefused,
      });
      return { ...quotas, fleet };
    },

    /** The live streams' `peers` hook: membership, the peer gRPC server, owned tails and relays. */
    link(streams: {
      kafka: Kafka;
      topic: string;
      inspector: Pick<Inspector, 'refreshLocal'>;
      limiter: Pick<RateLimiter, 'debit'>;
      stream: { backfill: number; taskMemory: number; workerMemory: number };
    }) {
      return createPeerLink({
        pool: deps.pool,
        kafka: streams.kafka,
        topic: streams.topic,
        token: deps.token,
        channels,
        logger: deps.logger,
        options,
        metrics: createPeerMetrics(deps.registry),
        stream: streams.stream,
        inspect: { relay: inspectRelay, handler: inspectRelay.handler(streams.inspector) },
        usage: usageLedger && {
          ledger: usageLedger,
          limiter: streams.limiter,
          intervalMs: options.usage.intervalMs,
          maxCallers: options.usage.maxCallers,
          metrics: usageMetrics,
        },
      });
    },

    close(): void {
      channels.close();
    },
  };
}

export type GatewayPeers = ReturnType<typeof createGatewayPeers>;
