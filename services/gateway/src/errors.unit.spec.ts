import { describe, expect, it } from 'vitest';
import {
  answerOf,
  BadRequestError,
  ERROR_ANSWERS,
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnauthenticatedError,
  UnavailableError,
  UpstreamError,
  WorkerRefusedError,
} from './errors';

describe('the one table from error kinds to answers', () => {
  it('gives REST, SSE and WebSocket the same answer for each error class', () => {
    const answers = [
      new BadRequestError('x'),
      new UnauthenticatedError('x'),
      new ForbiddenError('x'),
      new NotFoundError('x'),
      new WorkerRefusedError('x'),
      new UnavailableError('x'),
      new UpstreamError('x'),
      new TooManyRequestsError('x', 1),
    ].map((error) => [error.kind, answerOf(error).status, answerOf(error).closeCode]);
    expect(answers).toEqual([
      ['bad-request', 400, 1008],
      ['unauthenticated', 401, 1008],
      ['forbidden', 403, 1008],
      ['not-found', 404, 1008],
      ['worker-refused', 403, 1008],
      ['unavailable', 503, 1013],
      ['upstream', 502, 1011],
      ['too-many-requests', 429, 1013],
    ]);
  });

  it('closes with "try again later" exactly for the errors a client may retry', () => {
    const retriable = [new UnavailableError('x'), new TooManyRequestsError('x', 1)];
    for (const error of retriable) expect(answerOf(error).closeCode).toBe(1013);
    const kinds = Object.entries(ERROR_ANSWERS).filter(([, answer]) => answer.closeCode === 1013);
    expect(kinds.map(([kind]) => kind).sort()).toEqual(['too-many-requests', 'unavailable']);
  });

  it('answers anything else 500 / 1011 without showing its message', () => {
    const answer = answerOf(new Error('password=hunter2 in a stack'));
    expect(answer).toEqual({ status: 500, closeCode: 1011, message: 'Internal server error' });
  });
});
