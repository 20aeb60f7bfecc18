/**
 * Number syntax checks for client input. Each is a single left-to-right scan after a length check, so
 * a megabyte of digits costs one pass: the earlier regular expressions (`\d+\.?\d*`) backtracked
 * quadratically and blocked the event loop for seconds on one long value.
 */

/** Longer than any number a parameter can mean (a double prints in at most 24 characters). */
export const MAX_NUMBER_LENGTH = 32;

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Index after a run of digits starting at `from`. */
function digitsFrom(text: string, from: number): number {
  let index = from;
  while (index < text.length && isDigit(text.charCodeAt(index))) index += 1;
  return index;
}

function signed(text: string, from: number): number {
  const code = text.charCodeAt(from);
  return code === 43 || code === 45 ? from + 1 : from;
}

/** `[+-]digits`, at most `maxDigits` digits (15 keeps every value an exact double). */
export function isIntegerText(text: string, maxDigits = 15): boolean {
  if (text.length === 0 || text.length > maxDigits + 1) return false;
  const start = signed(text, 0);
  const end = digitsFrom(text, start);
  return end > start && end - start <= maxDigits && end === text.length;
}

/** `[+-](digits[.digits*] | .digits)([eE][+-]digits)?`, the decimal forms Python's float() reads. */
export function isDecimalNumber(text: string): boolean {
  if (text.length === 0 || text.length > MAX_NUMBER_LENGTH) return false;
  let index = signed(text, 0);
  const whole = digitsFrom(text, index);
  let digits = whole - index;
  index = whole;
  if (text[index] === '.') {
    const fraction = digitsFrom(text, index + 1);
    digits += fraction - index - 1;
    index = fraction;
  }
  if (digits === 0) return false;
  if (text[index] === 'e' || text[index] === 'E') {
    const exponentStart = signed(text, index + 1);
    const exponentEnd = digitsFrom(text, exponentStart);
    if (exponentEnd === exponentStart) return false;
    index = exponentEnd;
  }
  return index === text.length;
}
