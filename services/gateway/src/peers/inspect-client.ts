import { controlTokenInterceptor } from '@celeriac/proto/control-auth';
import { type PeerInspectReply, PeersClient } from '@celeriac/proto/peers';
import * as grpc from '@grpc/grpc-js';
import type { InspectInfo } from '../control/inspector';
import { decodeInspectReply } from './inspect-codec';

/** Channels kept open at once; peers are a handful, a replaced replica's address is dropped first. */
const MAX_CLIENTS = 64;

/**
 * Peers/Inspect calls to the designated replicas, one channel per peer address, with the Control token
 * (the same interceptor as the gateway's Control client). Each call has a deadline, and a reply larger
 * than `maxReplyBytes` is refused by gRPC before it is buffered whole.
 */
export function createInspectClient(options: {
  token: string | undefined;
  maxReplyBytes: number;
  deadlineMs: number;
}) {
  const clients = new Map<string, PeersClient>();
  const clientOf = (address: string): PeersClient => {
    let client = clients.get(address);
    if (!client) {
      if (clients.size >= MAX_CLIENTS) {
        const [oldest, stale] = clients.entries().next().value as [string, PeersClient];
        clients.delete(oldest);
        stale.close();
      }
      client = new PeersClient(address, grpc.credentials.createInsecure(), {
        interceptors: options.token ? [controlTokenInterceptor(options.token)] : [],
        'grpc.max_receive_message_length': options.maxReplyBytes,
      });
      clients.set(address, client);
    }
    return client;
  };

  return {
    inspect(address: string, connectionId: string, workername: string | undefined): Promise<InspectInfo> {
      return new Promise<InspectInfo>((resolve, reject) => {
        const deadline = new Date(Date.now() + options.deadlineMs);
        clientOf(address).inspect(
          { connectionId, workername: workername ?? '' },
          new grpc.Metadata(),
          { deadline },
          (error: grpc.ServiceError | null, reply: PeerInspectReply) => {
            if (error) return reject(error);
            try {
              resolve(decodeInspectReply(reply));
            } catch (invalid) {
              reject(invalid);
            }
          },
        );
      });
    },
    close(): void {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
