import type { RelayBatch } from '@celeriac/proto/peers';
import * as grpc from '@grpc/grpc-js';
import type { PeerChannels } from './peer-channels';
import { NotOwnerError, type RelaySink } from './relay-source';

/**
 * Relay calls to other replicas, over the shared peer channels. A relay is a server stream with no
 * end, so its deadline is a watchdog instead: the first batch must come within `connectMs`, and the
 * owner sends its position at least every progress interval, so `stallMs` of silence means the peer
 * is gone (kill -9 leaves no FIN behind a NAT) and the caller falls back to Kafka.
 */
export function createRelayClient(options: { channels: PeerChannels; connectMs: number; stallMs: number }) {
  return function relay(
    address: string,
    request: { connectionId: string; partition: number; from: number },
    sink: RelaySink,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const call = options.channels.of(address).relay({
        connectionId: request.connectionId,
        partition: request.partition,
        fromOffset: request.from,
      });
      let watchdog = setTimeout(() => call.cancel(), options.connectMs);
      let queue = Promise.resolve();
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        signal.removeEventListener('abort', onAbort);
        void queue.then(() => (error ? reject(error) : resolve()));
      };
      const onAbort = () => {
        call.cancel();
        settle();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      call.on('data', (batch: RelayBatch) => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => call.cancel(), options.stallMs);
        // Backpressure: the stream is paused while its batch is handed to the local hub.
        call.pause();
        queue = queue
          .then(() => sink({ records: batch.records, nextOffset: batch.nextOffset }))
          .finally(() => call.resume());
      });
      call.on('error', (error: grpc.ServiceError) =>
        settle(
          signal.aborted
            ? undefined
            : error.code === grpc.status.FAILED_PRECONDITION
              ? new NotOwnerError(error.details)
              : error,
        ),
      );
      call.on('end', () => settle(signal.aborted ? undefined : new Error('relay ended by its owner')));
    });
  };
}
