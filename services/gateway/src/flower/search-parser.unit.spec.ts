import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors';
import { parseSearch } from './search-parser';

describe('Flower 2.1 search language', () => {
  it('rejects a short substring term with Flower’s message and position', () => {
    expect(() => parseSearch('ab')).toThrow(
      'Substring search terms must contain at least 3 characters at position 0.',
    );
    expect(() => parseSearch('tasks.add ab')).toThrow(/at position 10\.$/);
  });

  it('binds AND tighter than OR and honours parentheses', () => {
    expect(parseSearch('aaa bbb OR ccc')).toEqual({
      kind: 'or',
      children: [
        {
          kind: 'and',
          children: [
            { kind: 'term', field: null, value: 'aaa' },
            { kind: 'term', field: null, value: 'bbb' },
          ],
        },
        { kind: 'term', field: null, value: 'ccc' },
      ],
    });
    expect(parseSearch('aaa AND (bbb OR ccc)')).toEqual({
      kind: 'and',
      children: [
        { kind: 'term', field: null, value: 'aaa' },
        {
          kind: 'or',
          children: [
            { kind: 'term', field: null, value: 'bbb' },
            { kind: 'term', field: null, value: 'ccc' },
          ],
        },
      ],
    });
  });

  it('reads qualifiers, quoted phrases and exact state', () => {
    expect(parseSearch('name:"tasks add" state:ok')).toEqual({
      kind: 'and',
      children: [
        { kind: 'term', field: 'name', value: 'tasks add' },
        { kind: 'term', field: 'state', value: 'ok' },
      ],
    });
    expect(parseSearch('"say \\"hi\\""')).toEqual({ kind: 'term', field: null, value: 'say "hi"' });
    expect(parseSearch('kwargs:a=1')).toEqual({ kind: 'term', field: 'kwargs', value: 'a=1' });
  });

  it.each([
    ['NOT abc', 'NOT'],
    ['-abc', 'Negation'],
    ['()', 'Empty group'],
    ['abc AND', 'Dangling AND'],
    ['abc OR', 'Dangling OR'],
    ['"abc', 'Unterminated'],
    ['name:', 'Empty value'],
    ['((((((abc))))))', 'deeper'],
    ['abc)', "Unexpected ')'"],
    ['(abc', 'Missing closing'],
    ['a'.repeat(2049), 'longer'],
    [Array.from({ length: 130 }, () => 'abc').join(' '), 'tokens'],
  ])('refuses %s as a 400', (query, message) => {
    let error: unknown;
    try {
      parseSearch(query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toContain(message);
  });
});
