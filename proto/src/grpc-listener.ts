import * as grpc from '@grpc/grpc-js';

/** A bound gRPC server: the port it listens on, and a shutdown with a grace period. */
export interface GrpcListener {
  readonly port: number;
  /** Lets calls in flight finish for `graceMs`, then cuts whatever is left. */
  close(graceMs: number): Promise<void>;
}

/**
 * One gRPC service on `host:port` (0: any free port), as the collector's Control and the gateways'
 * Peers services both serve it: plaintext inside the cluster (the shared token authenticates
 * calls, proto/src/control-auth.ts), with a cap on the size of what a caller may send.
 */
export async function listenGrpc(options: {
  host: string;
  port: number;
  service: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
  maxReceiveBytes: number;
}): Promise<GrpcListener> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxReceiveBytes });
  server.addService(options.service, options.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  return {
    port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
