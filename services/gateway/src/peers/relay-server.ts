import { controlCallAuthorized } from '@celeriac/proto/control-auth';
import { type GrpcListener, listenGrpc } from '@celeriac/proto/grpc-listener';
import {
  type PeerInspectReply,
  type PeerInspectRequest,
  type PeersServer,
  PeersService,
  type RelayBatch,
  type RelayRequest,
  type UsageAck,
  type UsageReport,
} from '@celeriac/proto/peers';
import type { Logger } from '@celeriac/service-runtime/logger';
import * as grpc from '@grpc/grpc-js';
import type { PeerMetrics } from './peer-metrics';
import {
  NotOwnerError,
  RelayOverflowError,
  type RelaySink,
  type RelaySourceDeps,
  serveRelay,
} from './relay-source';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The gateway's peer gRPC service (celeriac.peers.v1.Peers), authenticated like the collectors' Control. */
export function createRelayServer(options: {
  host: string;
  port: number;
  /** Token every call must carry; undefined only when Control auth was explicitly disabled. */
  token: string | undefined;
  /** Where relays are served from; asked per call (the streams exist once the peers started). */
  source: () => RelaySourceDeps;
  partitionCount: () => number;
  metrics: PeerMetrics;
  logger: Logger;
  /** Peers/Inspect (inspect-server.ts); without it the call answers UNIMPLEMENTED. */
  inspect?: grpc.handleUnaryCall<PeerInspectRequest, PeerInspectReply>;
  /** `Peers/Usage` (usage-service.ts); without it the call is UNIMPLEMENTED. */
  usage?: grpc.handleUnaryCall<UsageReport, UsageAck>;
}) {
  const log = options.logger.child({ component: 'relay-server' });
  const open = new Set<AbortController>();
  let listener: GrpcListener | undefined;

  function invalid(request: RelayRequest): string | null {
    if (request.connectionId.length > 36 || !UUID.test(request.connectionId))
      return 'connection_id must be a UUID';
    if (
      !Number.isInteger(request.partition) ||
      request.partition < 0 ||
      request.partition >= options.partitionCount()
    )
      return 'partition out of range';
    if (!Number.isSafeInteger(request.fromOffset) || request.fromOffset < -1)
      return 'from_offset must be >= -1';
    return null;
  }

  const relay: grpc.handleServerStreamingCall<RelayRequest, RelayBatch> = (call) => {
    const fail = (code: grpc.status, details: string) =>
      call.destroy(Object.assign(new Error(details), { code, details }));
    if (options.token !== undefined && !controlCallAuthorized(options.token, call.metadata))
      return fail(grpc.status.UNAUTHENTICATED, 'missing or wrong peer token');
    const problem = invalid(call.request);
    if (problem) return fail(grpc.status.INVALID_ARGUMENT, problem);
    const abort = new AbortController();
    open.add(abort);
    options.metrics.relays.inc({ side: 'served' });
    call.on('cancelled', () => abort.abort());
    const sink: RelaySink = (batch) =>
      new Promise<void>((resolve) => {
        const message: RelayBatch = {
          records: batch.records.map((r) => ({
            ...r,
            value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          })),
          nextOffset: batch.nextOffset,
        };
        if (call.write(message) || abort.signal.aborted) return resolve();
        const done = () => {
          call.off('drain', done);
          abort.signal.removeEventListener('abort', done);
          resolve();
        };
        call.on('drain', done);
        abort.signal.addEventListener('abort', done, { once: true });
      });
    const { connectionId, partition, fromOffset } = call.request;
    serveRelay(options.source(), { connectionId, partition, from: fromOffset }, sink, abort.signal)
      .then(
        () => call.end(),
        (error: unknown) => {
          if (error instanceof NotOwnerError) return fail(grpc.status.FAILED_PRECONDITION, error.message);
          if (error instanceof RelayOverflowError) return fail(grpc.status.RESOURCE_EXHAUSTED, error.message);
          log.warn({ err: error, connectionId, partition }, 'relay failed');
          fail(grpc.status.UNAVAILABLE, 'relay failed; read from Kafka or retry');
        },
      )
      .finally(() => open.delete(abort));
  };

  // A replica without a handler (the feature off here) says so rather than leaving the caller waiting.
  const unimplemented =
    (what: string) => (_call: unknown, callback: (error: Partial<grpc.StatusObject>, value: null) => void) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: `${what} not served on this replica` }, null);
  const implementation: PeersServer = {
    relay,
    inspect: options.inspect ?? unimplemented('worker refreshes'),
    usage: options.usage ?? unimplemented('usage reports'),
  };

  return {
    name: 'relay-server',
    get isRunning() {
      return listener !== undefined;
    },
    get port() {
      return listener?.port ?? 0;
    },
    get openRelays() {
      return open.size;
    },
    async start() {
      listener = await listenGrpc({
        host: options.host,
        port: options.port,
        service: PeersService,
        implementation,
        maxReceiveBytes: 64 * 1024,
      });
    },
    async stop() {
      const current = listener;
      listener = undefined;
      // Relays never end on their own: cancel them, and their peers reopen at the partitions' new owners.
      for (const abort of open) abort.abort();
      await current?.close(2_000);
    },
  };
}
