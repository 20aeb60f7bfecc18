import type { PeerInspectReply, PeerInspectRequest } from '@celeriac/proto/peers';
import type { Logger } from '@celeriac/service-runtime/logger';
import type * as grpc from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import { INSPECT_TIMEOUT_SECONDS, type InspectForward, type Inspector } from '../control/inspector';
import type { Member } from '../data/members-store';
import { connectionPartitioner } from './connection-partition';
import { createInspectClient } from './inspect-client';
import { createInspectHandler, type InspectOutcome } from './inspect-server';
import type { PeerChannels } from './peer-channels';
import { ownerOf } from './rendezvous';

/** What the relay needs from the peers once they run (peer-link.ts attaches it). */
export interface InspectPeerView {
  readonly self: Member;
  readonly members: readonly Member[];
  /** Partitions of the events topic; 0 until the peers have started. */
  partitionCount(): number;
}

/**
 * Inspect refreshes coalesced across replicas (see README.md here): a refresh of connection C runs
 * on ONE replica, the owner of C's partition, and every other replica asks it over Peers/Inspect,
 * where it joins the refresh already running. Before the peers run, when this replica is the
 * designated one, or when the designated one does not answer within the inspect window plus
 * `marginMs`, the refresh runs here: a peer down never fails a client's refresh, it costs one more
 * inspect round, counted as `outcome="fallback"`.
 */
export function createInspectRelay(options: {
  /** The token peers' Peers/Inspect calls must carry (checked by the handler). */
  token: string | undefined;
  channels: PeerChannels;
  marginMs: number;
  maxReplyBytes: number;
  registry: Registry;
  logger: Logger;
}) {
  const log = options.logger.child({ component: 'inspect-relay' });
  const counter = new Counter({
    name: 'celeriac_gateway_peer_inspects_total',
    help: 'Worker refreshes through peers: answered by the designated replica (forwarded), run here after it failed (fallback), run here for a peer (served), or refused to a peer',
    labelNames: ['outcome'],
    registers: [options.registry],
  });
  const count = (outcome: InspectOutcome) => counter.inc({ outcome });
  const client = createInspectClient({
    channels: options.channels,
    deadlineMs: INSPECT_TIMEOUT_SECONDS * 1000 + options.marginMs,
  });
  let view: InspectPeerView | undefined;
  let partitionOf: ((connectionId: string) => number) | undefined;
  let partitions = 0;

  /** The peer address of C's designated replica, or undefined when it is this one (or nobody yet). */
  const designated = (connectionId: string): string | undefined => {
    const count = view?.partitionCount() ?? 0;
    if (!view || count === 0) return undefined;
    if (count !== partitions || !partitionOf) {
      partitionOf = connectionPartitioner(count);
      partitions = count;
    }
    const members = view.members;
    const owner = ownerOf(
      members.map((member) => member.memberId),
      partitionOf(connectionId),
      count,
    );
    if (owner === undefined || owner === view.self.memberId) return undefined;
    return members.find((member) => member.memberId === owner)?.peerAddress;
  };

  const forward: InspectForward = async (connectionId, workername, local) => {
    const address = designated(connectionId);
    if (address === undefined) return local();
    try {
      const info = await client.inspect(address, connectionId, workername);
      count('forwarded');
      return info;
    } catch (error) {
      count('fallback');
      log.warn(
        { err: error, connectionId, peer: address },
        'designated replica did not answer; inspecting here',
      );
      return local();
    }
  };

  return {
    /** The inspector's `forward` hook (gateway-api.ts). */
    forward,
    /** Peers/Inspect for the peer gRPC server, answering from `inspector`'s own rounds. */
    handler(
      inspector: Pick<Inspector, 'refreshLocal'>,
    ): grpc.handleUnaryCall<PeerInspectRequest, PeerInspectReply> {
      return createInspectHandler({
        token: options.token,
        inspector,
        maxReplyBytes: options.maxReplyBytes,
        count,
        logger: log,
      });
    },
    attach(peers: InspectPeerView): void {
      view = peers;
    },
  };
}

export type InspectRelay = ReturnType<typeof createInspectRelay>;
