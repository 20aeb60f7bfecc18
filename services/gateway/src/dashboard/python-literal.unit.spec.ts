import { describe, expect, it } from 'vitest';
import { NotALiteralError, parsePythonLiteral } from './python-literal';

describe('parsePythonLiteral', () => {
  it('reads the reprs Celery workers report for args and kwargs', () => {
    expect(parsePythonLiteral('(2, 3)')).toEqual([2, 3]);
    expect(parsePythonLiteral('(1,)')).toEqual([1]);
    expect(parsePythonLiteral('()')).toEqual([]);
    expect(parsePythonLiteral("{'x': 1.5, \"it's\": [None, True, False], 'n': {'k': -3e2}}")).toEqual({
      x: 1.5,
      "it's": [null, true, false],
      n: { k: -300 },
    });
    expect(parsePythonLiteral("'a\\'b\\n\\x41\\u00e9\\U0001F600\\\\'")).toBe("a'b\nAé😀\\");
  });

  it('keeps a key named __proto__ as plain data', () => {
    const parsed = parsePythonLiteral("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses what it cannot reproduce exactly', () => {
    for (const text of [
      '(<object at 0x7f>,)',
      "(b'bytes',)",
      '({1, 2},)',
      "('cut short...",
      '(12345678901234567890,)',
      '(1, 2) extra',
      '{1: 2}',
      '(nan,)',
      `${'['.repeat(100)}${']'.repeat(100)}`,
      '['.repeat(1_000_000),
    ])
      expect(() => parsePythonLiteral(text), text).toThrow(NotALiteralError);
  });
});
