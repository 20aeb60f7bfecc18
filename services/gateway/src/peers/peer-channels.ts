import { controlTokenInterceptor } from '@celeriac/proto/control-auth';
import { PeersClient } from '@celeriac/proto/peers';
import * as grpc from '@grpc/grpc-js';

/** Channels kept open at once; peers are a handful, so only a fleet churning addresses reaches it. */
const MAX_CHANNELS = 64;

/**
 * One gRPC channel per peer address, shared by every call to that peer (relays, Peers/Inspect,
 * Peers/Usage), each carrying the Control token. A channel is closed when its address leaves the
 * members (`retain`) or when the cap makes room for a new address (oldest first), so a fleet whose
 * replicas come and go under new addresses keeps a bounded set. `maxReceiveBytes` is the largest
 * message any of those calls may bring: gRPC refuses a bigger one before buffering it whole.
 */
export function createPeerChannels(options: { token: string | undefined; maxReceiveBytes: number }) {
  const channels = new Map<string, PeersClient>();
  const interceptors = options.token ? [controlTokenInterceptor(options.token)] : [];

  return {
    of(address: string): PeersClient {
      let channel = channels.get(address);
      if (channel) return channel;
      if (channels.size >= MAX_CHANNELS) {
        const [oldest, stale] = channels.entries().next().value as [string, PeersClient];
        channels.delete(oldest);
        stale.close();
      }
      channel = new PeersClient(address, grpc.credentials.createInsecure(), {
        interceptors,
        'grpc.max_receive_message_length': options.maxReceiveBytes,
      });
      channels.set(address, channel);
      return channel;
    },
    /** Closes the channels of addresses that are no longer members. */
    retain(addresses: readonly string[]): void {
      for (const [address, channel] of channels)
        if (!addresses.includes(address)) {
          channel.close();
          channels.delete(address);
        }
    },
    get size(): number {
      return channels.size;
    },
    close(): void {
      for (const channel of channels.values()) channel.close();
      channels.clear();
    },
  };
}

export type PeerChannels = ReturnType<typeof createPeerChannels>;
