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
