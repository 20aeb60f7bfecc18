/**
 * Reads back the Python repr() text workers report for a task's args and kwargs (None, booleans,
 * numbers, strings, tuples, lists, dicts with string keys) as JSON values, so a finished task can be
 * sent again. Anything else (objects, bytes, sets, text cut short by the worker's repr size limit)
 * is refused rather than guessed at. One pass over the text, length and depth capped.
 */
export class NotALiteralError extends Error {}

const MAX_TEXT = 1024 * 1024;
const MAX_DEPTH = 64;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['0', '\0'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['v', '\v'],
]);
const HEX_ESCAPE_LENGTH = new Map([
  ['x', 2],
  ['u', 4],
  ['U', 8],
]);

export function parsePythonLiteral(text: string): unknown {
  if (text.length > MAX_TEXT) throw new NotALiteralError('text too long');
  let at = 0;
  const fail = (what: string): never => {
    throw new NotALiteralError(`${what} at character ${at}`);
  };
  const skip = () => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  const word = (w: string) => text.startsWith(w, at) && !/\w/.test(text[at + w.length] ?? '');

  function string(): string {
    const quote = text[at++];
    let out = '';
    for (;;) {
      const c = text[at++];
      if (c === undefined) return fail('unterminated string');
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = text[at++] ?? '';
      const simple = ESCAPES.get(e);
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      const length = HEX_ESCAPE_LENGTH.get(e);
      const hex = length ? text.slice(at, at + length) : '';
      if (!length || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) return fail('unknown escape');
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) return fail('escape out of range');
      out += String.fromCodePoint(code);
      at += length;
    }
  }

  function items(close: string, item: () => void): void {
    skip();
    while (text[at] !== close) {
      item();
      skip();
      if (text[at] === ',') {
        at++;
        skip();
      } else if (text[at] !== close) fail(`expected ',' or '${close}'`);
    }
    at++;
  }

  function value(depth: number): unknown {
    // Checked before descending, so a flood of brackets cannot exhaust the stack.
    if (depth > MAX_DEPTH) fail('nested too deeply');
    skip();
    const c = text[at];
    if (c === "'" || c === '"') return string();
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      at++;
      const list: unknown[] = [];
      items(close, () => list.push(value(depth + 1)));
      return list;
    }
    if (c === '{') {
      at++;
      const dict: Record<string, unknown> = Object.create(null);
      items('}', () => {
        skip();
        const quote = text[at];
        if (quote !== "'" && quote !== '"') fail('dict key that is not a string');
        const key = string();
        skip();
        if (text[at++] !== ':') fail("expected ':'");
        dict[key] = value(depth + 1);
      });
      return { ...dict };
    }
    for (const [w, v] of [
      ['None', null],
      ['True', true],
      ['False', false],
    ] as const)
      if (word(w)) {
        at += w.length;
        return v;
      }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (!number) return fail('not a literal');
    at += number[0].length;
    const parsed = Number(number[0]);
    const integral = !/[.eE]/.test(number[0]);
    if (!Number.isFinite(parsed) || (integral && !Number.isSafeInteger(parsed)))
      fail('number JSON cannot carry exactly');
    return parsed;
  }

  const result = value(0);
  skip();
  if (at !== text.length) fail('trailing text');
  return result;
}
