import type { PeerInspectReply } from '@celeriac/proto/peers';
import * as grpc from '@grpc/grpc-js';
import type { InspectInfo } from '../control/inspector';
import { decodeInspectReply } from './inspect-codec';
import type { PeerChannels } from './peer-channels';

/**
 * Peers/Inspect calls to the designated replicas, over the shared peer channels (Control token,
 * receive cap). Each call has a deadline; the serving replica refuses a reply larger than its
 * inspect byte limit rather than sending it.
 */
export function createInspectClient(options: { channels: PeerChannels; deadlineMs: number }) {
  return {
    inspect(address: string, connectionId: string, workername: string | undefined): Promise<InspectInfo> {
      return new Promise<InspectInfo>((resolve, reject) => {
        const deadline = new Date(Date.now() + options.deadlineMs);
        options.channels
          .of(address)
          .inspect(
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
  };
}
