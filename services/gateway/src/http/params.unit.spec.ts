import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors';
import { paramsFrom } from './params';

describe('Flower parameter parsing', () => {
  it('merges query and form, form first, last repeated value wins, trimmed', () => {
    const params = paramsFrom({ a: ['1', ' 2 '], b: 'query' }, { b: ' form ' });
    expect(params.string('a')).toBe('2');
    expect(params.string('b')).toBe('form');
    expect(params.string('missing')).toBeUndefined();
  });

  it.each([
    ['yes', true],
    ['T', true],
    ['on', true],
    ['1', true],
    ['n', false],
    ['OFF', false],
    ['0', false],
  ])('reads bool %s', (value, expected) => {
    expect(paramsFrom({ x: value }, undefined).bool('x')).toBe(expected);
  });

  it.each([
    ['bool', 'maybe'],
    ['bool', ''],
    ['int', '1.5'],
    ['int', 'ten'],
    ['int', '99999999999999999999'],
    ['float', 'abc'],
    ['float', '1e'],
  ] as const)('refuses %s %j with a 400 naming the parameter', (type, value) => {
    const params = paramsFrom({ x: value }, undefined);
    expect(() => params[type]('x')).toThrow(BadRequestError);
    expect(() => params[type]('x')).toThrow(/parameter 'x'/);
  });

  it('treats an empty int or float as absent', () => {
    expect(paramsFrom({ n: '' }, undefined).int('n')).toBeUndefined();
    expect(paramsFrom({ n: '-3' }, undefined).int('n')).toBe(-3);
    expect(paramsFrom({ n: '2.5' }, undefined).float('n')).toBe(2.5);
  });
});

describe('hostile numbers', () => {
  // Each of these took seconds to minutes with the earlier backtracking patterns; the guard is
  // generous so a slow CI machine never flakes, yet far below what the quadratic scan needed.
  const hostile = [
    '1'.repeat(100_000),
    `${'1'.repeat(50_000)}x`,
    `${'1'.repeat(2_000)}.${'1'.repeat(2_000)}x`,
    `.${'9'.repeat(4_000)}e`,
  ];

  it.each(['int', 'float'] as const)('refuses long %s values with a 400, quickly', (type) => {
    const started = performance.now();
    for (const value of hostile) {
      const params = paramsFrom({ n: value }, undefined);
      expect(() => params[type]('n')).toThrow(BadRequestError);
      expect(() => params[type]('n')).toThrow(/parameter 'n'/i);
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('echoes at most a short prefix of a rejected value', () => {
    const params = paramsFrom({ n: `${'7'.repeat(3_000)}x` }, undefined);
    expect(() => params.float('n')).toThrow(/^Invalid argument '7{40}\.\.\.' of type 'float'/);
  });

  it('refuses values beyond the parameter length cap before parsing', () => {
    expect(() => paramsFrom({ s: 'x'.repeat(5_000) }, undefined).string('s')).toThrow(/longer than 4096/);
  });

  it('bounds numbers to the range a parameter allows', () => {
    const params = paramsFrom({ n: '0', big: '1e308', inf: '1e999', t: '2.5' }, undefined);
    expect(() => params.int('n', { min: 1, max: 10 })).toThrow(/'n' must be between 1 and 10/);
    expect(() => params.float('big', { min: 0, max: 300 })).toThrow(/'big' must be between 0 and 300/);
    expect(() => params.float('inf')).toThrow(/'inf'/);
    expect(params.float('t', { min: 0, max: 3 })).toBe(2.5);
  });
});

describe('parameter sources', () => {
  it("reads only a source's own fields, never inherited members", () => {
    const params = paramsFrom({ toString: 'query' } as Record<string, unknown>, {});
    expect(params.string('toString')).toBe('query');
    expect(paramsFrom({}, {}).string('constructor')).toBeUndefined();
    expect(paramsFrom(Object.create({ limit: '5' }), undefined).int('limit')).toBeUndefined();
  });
});
