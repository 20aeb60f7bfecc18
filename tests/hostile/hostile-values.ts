import type { Random } from './seeded-random';

/** A generated value and the family it comes from: the family names a failure in the report. */
export interface HostileValue {
  kind: string;
  value: string;
}

export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
];

/**
 * Long digit runs end in a character no number grammar accepts, so a backtracking regex retries every
 * split of the run before it gives up (quadratic time); `size` is what fits where the value goes.
 */
function digits(random: Random, size: number): string {
  const run = '9'.repeat(size);
  return random.pick([run, `${run}x`, `-${run}.`, `${run}.${run.slice(0, size / 2)}e`, `1e${run}`]);
}

const FAMILIES: Record<string, (random: Random, size: number) => string> = {
  empty: () => '',
  whitespace: (random) => random.pick([' ', '\t', '   \t ', '\u00a0', '\u3000']),
  huge: (random, size) => random.pick(['A', 'é', '日', '\u{1F600}', '%', '&']).repeat(size),
  digits,
  number: (random) =>
    random.pick([
      '-1',
      '-0',
      '0',
      '-99999999999999999999',
      '9007199254740993',
      '1e309',
      '-1e309',
      '1e-400',
      '0x1f',
      '0b101',
      '1_000',
      ' 7 ',
      '+5',
      '.5',
      '5.',
      '1e2',
      '٣',
      '５',
    ]),
  'nan-infinity': (random) => random.pick(['NaN', 'nan', 'Infinity', '-Infinity', 'inf', '∞']),
  unicode: (random) =>
    random.pick([
      '日本語のワーカー',
      '𝕳𝖔𝖘𝖙𝖎𝖑𝖊',
      'a\u202eevil',
      'e\u0301\u0301\u0301\u0301',
      '👩‍👩‍👧‍👦'.repeat(40),
      '\ud800',
      '\udfff\ud800',
      '\ufeff',
      '\uffff',
    ]),
  nul: (random) => random.pick(['\u0000', 'a\u0000b', 'celery\u0000@host', '\u0000'.repeat(300)]),
  control: (random) => random.pick(['\r\n', 'a\r\nX-Injected: 1', '\u001b[31m', '\b\f\v', '\u0085']),
  prototype: (random) => random.pick(PROTOTYPE_KEYS),
  'sql-like': (random) =>
    random.pick(["' OR 1=1 --", '%', '_', '\\', '%%%%', "'; DROP TABLE tasks; --", '$1']),
  traversal: (random) => random.pick(['../../../etc/passwd', '..', '.', '//', '%2e%2e%2f']),
  'json-text': (random) => random.pick(['{"a":1}', '[1,2]', 'null', '{"__proto__":{"x":1}}', '"str"']),
  'bool-like': (random) =>
    random.pick(['true', 'TRUE', 'tRuE', 'yes', 'on', '2', 'truee', 'null', 'undefined']),
  date: (random) =>
    random.pick([
      '2026-02-30 10:00',
      '9999-12-31 23:59',
      '0000-00-00 00:00',
      '2026-01-01 24:00',
      '2026-13-01 00:00',
      '275760-09-13 00:00',
      '2026-01-01T00:00:00Z',
      '-271821-04-20 00:00',
    ]),
  search: (random) =>
    random.pick([
      '"'.repeat(3000),
      '('.repeat(100),
      'state:'.repeat(300),
      'name:a OR '.repeat(200),
      `result:"${'x'.repeat(2000)}`,
      'args:%_% kwargs:\\\\',
    ]),
};
const FAMILY_NAMES = Object.keys(FAMILIES);

/**
 * One hostile value. `size` bounds the huge families (a query string must fit the server's header
 * limit to reach the parsers; a form field its 64 KiB; a JSON body its 1 MB).
 */
export function hostileValue(random: Random, size: number): HostileValue {
  const kind = random.pick(FAMILY_NAMES);
  const make = FAMILIES[kind] as (random: Random, size: number) => string;
  return { kind, value: make(random, Math.max(2, size)) };
}

export function randomUuid(random: Random, upper = false): string {
  const hex = Array.from({ length: 32 }, () => random.int(16).toString(16)).join('');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  return upper ? uuid.toUpperCase() : uuid;
}
