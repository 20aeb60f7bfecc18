import { type ServiceError, status } from '@grpc/grpc-js';
import {
  BadRequestError,
  type GatewayError,
  NotFoundError,
  UnavailableError,
  UpstreamError,
} from '../errors';

export function isServiceError(error: unknown): error is ServiceError {
  return typeof error === 'object' && error !== null && typeof (error as ServiceError).code === 'number';
}

/** The collector names the lease holder in this trailer when it is not the owner. */
export function ownerFromTrailer(error: ServiceError): string | undefined {
  const value = error.metadata?.get('celeriac-owner')[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** gRPC status of a Control call -> the gateway's error tree (the HTTP mapping is in one other place). */
export function mapGrpcError(error: ServiceError, connectionId: string): GatewayError {
  switch (error.code) {
    case status.INVALID_ARGUMENT:
      return new BadRequestError(error.details || 'invalid argument', { cause: error });
    case status.NOT_FOUND:
      return new NotFoundError('Unknown connection', { cause: error });
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
    case status.FAILED_PRECONDITION:
    case status.RESOURCE_EXHAUSTED:
      return new UnavailableError(
        `Broker or collector for connection ${connectionId} unavailable: ${error.details}`,
        {
          cause: error,
        },
      );
    default:
      return new UpstreamError(`collector call failed: ${error.details || status[error.code]}`, {
        cause: error,
      });
  }
}
