import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError, UnavailableError, UpstreamError } from '../errors';
import { mapGrpcError, ownerFromTrailer } from './grpc-errors';

function serviceError(code: status, details: string, owner?: string): ServiceError {
  const metadata = new Metadata();
  if (owner) metadata.set('celeriac-owner', owner);
  return Object.assign(new Error(details), { code, details, metadata });
}

describe('gRPC status -> gateway error', () => {
  it.each([
    [status.INVALID_ARGUMENT, BadRequestError],
    [status.NOT_FOUND, NotFoundError],
    [status.UNAVAILABLE, UnavailableError],
    [status.DEADLINE_EXCEEDED, UnavailableError],
    [status.FAILED_PRECONDITION, UnavailableError],
    [status.INTERNAL, UpstreamError],
  ])('maps status %i', (code, type) => {
    expect(mapGrpcError(serviceError(code, 'why'), 'c1')).toBeInstanceOf(type);
  });

  it('keeps the collector’s reason for a bad argument, and marks unavailability retriable', () => {
    expect(mapGrpcError(serviceError(status.INVALID_ARGUMENT, 'rate_limit: like "10/m"'), 'c1').message).toBe(
      'rate_limit: like "10/m"',
    );
    expect(mapGrpcError(serviceError(status.UNAVAILABLE, 'broker down'), 'c1').retriable).toBe(true);
  });

  it('reads the lease owner from the celeriac-owner trailer', () => {
    expect(ownerFromTrailer(serviceError(status.FAILED_PRECONDITION, 'not mine', '10.0.0.2:50051'))).toBe(
      '10.0.0.2:50051',
    );
    expect(ownerFromTrailer(serviceError(status.FAILED_PRECONDITION, 'not mine'))).toBeUndefined();
  });
});
