import { hostileValue } from './hostile-values';
import type { Random } from './seeded-random';

/** One key of each role for the suite's connection, and an admin key over all connections. */
export interface SuiteKeys {
  viewer: string;
  operator: string;
  support: string;
  admin: string;
  adminAll: string;
}

export interface RequestAuth {
  kind: string;
  headers: Record<string, string>;
  /** Already percent-encoded, for `?token=`. */
  token?: string;
}

/** A header value node will send: UTF-8 bytes written as latin1 octets, minus CR/LF/NUL. */
export function headerBytes(value: string): string {
  const octets = Buffer.from(value, 'utf8').toString('latin1');
  return Array.from(octets, (char) => {
    const code = char.charCodeAt(0);
    return (code < 0x20 && code !== 0x09) || code === 0x7f ? '?' : char;
  }).join('');
}

function flipLast(key: string): string {
  return `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
}

/** Valid credentials of a random role, or (when `hostile`) missing, malformed or forged ones. */
export function requestAuth(random: Random, keys: SuiteKeys, hostile: boolean): RequestAuth {
  const role = random.pick(['viewer', 'operator', 'support', 'admin', 'adminAll'] as const);
  const key = keys[role];
  if (!hostile) {
    const scheme = random.int(4);
    if (scheme === 0) return { kind: role, headers: {}, token: encodeURIComponent(key) };
    return { kind: role, headers: { authorization: `${scheme === 1 ? 'Token' : 'Bearer'} ${key}` } };
  }
  const kind = random.pick([
    'missing',
    'garbage',
    'huge',
    'multibyte',
    'basic',
    'empty-bearer',
    'forged',
    'prefix-only',
    'two-keys',
    'nul-token',
    'repeated-token',
  ]);
  const bearer = (value: string): RequestAuth => ({ kind, headers: { authorization: `Bearer ${value}` } });
  switch (kind) {
    case 'missing':
      return { kind, headers: {} };
    case 'garbage':
      return bearer(headerBytes(hostileValue(random, 200).value));
    case 'huge':
      return bearer('k'.repeat(random.pick([4_000, 15_000, 20_000])));
    case 'multibyte':
      return bearer(headerBytes('ключ-🔑-'.repeat(random.between(1, 400))));
    case 'basic':
      return { kind, headers: { authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}` } };
    case 'empty-bearer':
      return { kind, headers: { authorization: random.pick(['Bearer', 'Bearer ', 'Bearer  ', 'Token']) } };
    case 'forged':
      return bearer(flipLast(key));
    case 'prefix-only':
      return bearer(key.slice(0, random.between(1, key.length - 1)));
    case 'two-keys':
      return { kind, headers: { authorization: `Bearer ${keys.viewer} ${keys.adminAll}` } };
    case 'nul-token':
      return { kind, headers: {}, token: `${encodeURIComponent(key)}%00` };
    default:
      return {
        kind,
        headers: {},
        token: `${encodeURIComponent(keys.viewer)}&token=${encodeURIComponent(key)}`,
      };
  }
}
