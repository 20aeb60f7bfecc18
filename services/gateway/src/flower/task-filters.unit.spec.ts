import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors';
import { paramsFrom } from '../http/params';
import { parseReceivedBound, readTaskFilter } from './task-filters';
import { parseSortBy } from './task-sort';

describe('task filters and sort', () => {
  it('reads received bounds as UTC minutes', () => {
    expect(parseReceivedBound('received_start', '2024-02-29 23:59')).toBe(
      Date.UTC(2024, 1, 29, 23, 59) / 1000,
    );
  });

  it.each([
    '2024-02-30 10:00',
    '2024-13-01 10:00',
    '2024-01-01 24:00',
    '2024-01-01T10:00',
    'yesterday',
    '2024-01-01',
  ])('refuses received bound %j', (value) => {
    expect(() => parseReceivedBound('received_end', value)).toThrow(BadRequestError);
  });

  it("treats 'All' and empty as no filter and upper-cases the state", () => {
    const filter = readTaskFilter(
      paramsFrom({ workername: 'All', taskname: '', state: 'failure' }, undefined),
    );
    expect(filter).toMatchObject({ workername: undefined, taskname: undefined, state: 'FAILURE' });
  });

  it.each(['runtime', '--name', 'name;drop', '-'])('refuses sort_by %j', (value) => {
    expect(() => parseSortBy(value)).toThrow(BadRequestError);
  });
});
