import { type ControlServer, ControlService as ControlServiceDefinition } from '@celeriac/proto/control';
import { controlCallAuthorized } from '@celeriac/proto/control-auth';
import { type GrpcListener, listenGrpc } from '@celeriac/proto/grpc-listener';
import type { Logger } from '@celeriac/service-runtime/logger';
import * as grpc from '@grpc/grpc-js';
import type { ControlService } from './control-service';
import {
  BrokerUnavailableError,
  ConnectionConfigError,
  InvalidArgumentError,
  NotOwnerError,
  UnknownConnectionError,
} from './errors';
import type { CollectorMetrics } from './metrics';

export const OWNER_TRAILER = 'celeriac-owner';

/** The one place domain errors become gRPC statuses. */
export function toServiceError(error: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (error instanceof NotOwnerError) {
    metadata.set(OWNER_TRAILER, error.ownerAddress);
    return { code: grpc.status.FAILED_PRECONDITION, details: error.message, metadata };
  }
  if (error instanceof InvalidArgumentError)
    return { code: grpc.status.INVALID_ARGUMENT, details: error.message, metadata };
  if (error instanceof UnknownConnectionError)
    return { code: grpc.status.NOT_FOUND, details: error.message, metadata };
  if (error instanceof BrokerUnavailableError)
    return { code: grpc.status.UNAVAILABLE, details: error.message, metadata };
  if (error instanceof ConnectionConfigError)
    return { code: grpc.status.FAILED_PRECONDITION, details: error.message, metadata };
  return { code: grpc.status.INTERNAL, details: 'internal error', metadata };
}

/** Serves the Control gRPC service; stop() lets in-flight calls finish for a bounded time. */
export function createGrpcServer(options: {
  port: number;
  host: string;
  /** Token every call must carry; undefined only when authentication was explicitly disabled. */
  token: string | undefined;
  control: ControlService;
  metrics: CollectorMetrics;
  logger: Logger;
}) {
  const log = options.logger.child({ component: 'grpc-server' });
  let listener: GrpcListener | undefined;

  function unary<Req, Res>(
    method: string,
    handler: (request: Req) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      if (options.token !== undefined && !controlCallAuthorized(options.token, call.metadata)) {
        options.metrics.controlRequests.inc({ method, code: 'UNAUTHENTICATED' });
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong Control token' }, null);
        return;
      }
      handler(call.request).then(
        (response) => {
          options.metrics.controlRequests.inc({ method, code: 'OK' });
          callback(null, response);
        },
        (error: unknown) => {
          const status = toServiceError(error);
          options.metrics.controlRequests.inc({
            method,
            code: grpc.status[status.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN',
          });
          if (status.code === grpc.status.INTERNAL) log.error({ err: error, method }, 'control call failed');
          callback(status, null);
        },
      );
    };
  }

  const implementation: ControlServer = {
    broadcast: unary('Broadcast', (request) => options.control.broadcast(request)),
    inspect: unary('Inspect', (request) => options.control.inspect(request)),
    sendTask: unary('SendTask', (request) => options.control.sendTask(request)),
    queueStats: unary('QueueStats', (request) => options.control.queueStats(request)),
  };

  return {
    name: 'grpc-server',
    get isRunning() {
      return listener !== undefined;
    },
    get port() {
      return listener?.port ?? 0;
    },
    async start() {
      listener = await listenGrpc({
        host: options.host,
        port: options.port,
        service: ControlServiceDefinition,
        implementation,
        maxReceiveBytes: 4 * 1024 * 1024,
      });
    },
    async stop() {
      const current = listener;
      listener = undefined;
      await current?.close(5_000);
    },
  };
}
