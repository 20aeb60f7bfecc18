/**
 * The collector's error tree. `retriable` tells loops whether backing off and trying again can help;
 * the gRPC layer maps each kind to one status (toServiceError in grpc-server.ts).
 */
export abstract class CollectorError extends Error {
  abstract readonly retriable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The broker is unreachable or the connection/channel dropped. */
export class BrokerUnavailableError extends CollectorError {
  readonly retriable = true;
}

/** A caller's arguments are wrong; nothing was sent to the broker. */
export class InvalidArgumentError extends CollectorError {
  readonly retriable = false;
}

/** No connection with this id exists (or it is disabled). */
export class UnknownConnectionError extends CollectorError {
  readonly retriable = false;
  constructor(readonly connectionId: string) {
    super(`unknown connection ${connectionId}`);
  }
}

/** The connection is consumed by another collector; `ownerAddress` is its gRPC address ('' if unowned). */
export class NotOwnerError extends CollectorError {
  readonly retriable = true;
  constructor(
    readonly connectionId: string,
    readonly ownerAddress: string,
  ) {
    super(
      ownerAddress
        ? `connection ${connectionId} is owned by ${ownerAddress}`
        : `connection ${connectionId} has no owner right now`,
    );
  }
}

/** A broker URL that cannot be decrypted or parsed: configuration, not transient. */
export class ConnectionConfigError extends CollectorError {
  readonly retriable = false;
}
