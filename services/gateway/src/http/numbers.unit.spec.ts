import { describe, expect, it } from 'vitest';
import { isDecimalNumber, isIntegerText } from './numbers';

describe('number syntax', () => {
  it.each(['0', '-3', '+12', '123456789012345'])('reads integer %s', (text) => {
    expect(isIntegerText(text)).toBe(true);
  });
  it.each(['', '-', '1.5', '1e3', ' 1', '1234567890123456', '١٢'])('refuses integer %j', (text) => {
    expect(isIntegerText(text)).toBe(false);
  });
  it.each(['1', '1.', '.5', '-2.5', '+3e10', '4E-2', '0.000'])('reads decimal %s', (text) => {
    expect(isDecimalNumber(text)).toBe(true);
  });
  it.each(['', '.', '-.', 'e5', '1e', '1e+', '1.2.3', 'abc', 'Infinity', '0x10', '1 '])(
    'refuses decimal %j',
    (text) => {
      expect(isDecimalNumber(text)).toBe(false);
    },
  );
  it('refuses anything longer than a number can be without scanning it', () => {
    expect(isDecimalNumber('1'.repeat(100_000))).toBe(false);
    expect(isIntegerText('1'.repeat(100_000))).toBe(false);
  });
});
