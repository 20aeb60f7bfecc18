import { fillExample, pathExample, ROUTES, type RouteContext, type RouteSpec } from './gateway-routes';
import { hostileJson } from './hostile-json';
import { hostileValue, PROTOTYPE_KEYS, randomUuid } from './hostile-values';
import { requestAuth, type SuiteKeys } from './request-auth';
import { bodyFor } from './request-bodies';
import type { Random } from './seeded-random';

/** One generated request, sent as is; `signature` groups failures of the same kind in the report. */
export interface HostileRequest {
  index: number;
  method: string;
  /** The raw request target, possibly with invalid percent-encodings and raw non-ASCII bytes. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  stream: boolean;
  signature: string;
  /** The class of attack, for skipping after an incident (defaults to the signature). */
  family?: string;
}

const NUMERIC_PARAMS = new Set(['limit', 'offset', 'n', 'min', 'max', 'timeout', 'hard', 'soft', 'after']);
const NUMERIC_JSON = ['countdown', 'expires', 'soft_time_limit', 'time_limit', 'priority', 'retries'];

/**
 * A long digit run ending in a character no number grammar accepts, as large as its place allows
 * (query: 16 KiB of headers; form field: 64 KiB; JSON body: 1 MB): the input that makes a
 * backtracking number regex take quadratic time.
 */
function numberAttack(
  random: Random,
  route: RouteSpec,
  params: Map<string, string>,
):
  | {
      detail: string;
      family: string;
      body?: { headers: Record<string, string>; bytes: Buffer };
      inBody: boolean;
    }
  | undefined {
  const numeric = Object.keys(route.params ?? {}).filter((name) => NUMERIC_PARAMS.has(name));
  if (route.json && (numeric.length === 0 || random.chance(0.5))) {
    const field = random.pick(NUMERIC_JSON);
    const digits = '9'.repeat(200_000);
    const value = random.pick([`"${digits}x"`, `"${digits}.${digits.slice(0, 1_000)}e"`, `"-${digits}."`]);
    return {
      detail: `number json ${field}`,
      family: 'number json',
      body: { headers: { 'content-type': 'application/json' }, bytes: Buffer.from(`{"${field}":${value}}`) },
      inBody: false,
    };
  }
  if (numeric.length === 0) return undefined;
  const name = random.pick(numeric);
  const inBody = route.methods.includes('POST') && random.chance(0.7);
  params.set(name, `${'9'.repeat(inBody ? 60_000 : 15_000)}${random.pick(['x', '.e', ' 1', '-'])}`);
  return {
    detail: `number ${inBody ? 'form' : 'query'} ${name}`,
    family: `number ${inBody ? 'form' : 'query'}`,
    inBody,
  };
}

/** UTF-8 bytes percent-encoded; unlike encodeURIComponent it accepts lone surrogates. */
export function percentEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate: encode its UTF-8 replacement bytes by hand.
  }
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The same bytes as raw octets on the wire (node writes the request line as latin1). */
function rawBytes(value: string): string {
  const safe = Array.from(value, (char) =>
    char.charCodeAt(0) <= 0x20 || char === '\u007f' || char === '#' || char === '?' ? '_' : char,
  );
  return Buffer.from(safe.join(''), 'utf8').toString('latin1');
}

const BAD_ENCODINGS = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF%FE', '%00', '%%41', '%u0041'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

function encodePart(random: Random, value: string): string {
  const roll = random.int(10);
  if (roll === 0) return rawBytes(value);
  if (roll === 1) return `${percentEncode(value)}${random.pick(BAD_ENCODINGS)}`;
  return percentEncode(value);
}

/**
 * One request over one route: valid everywhere except where it attacks — a parameter's value or
 * name, the path, the method, the body, the content type or the credentials.
 */
export function generateRequest(
  random: Random,
  index: number,
  context: RouteContext,
  keys: SuiteKeys,
): HostileRequest {
  const route = random.pick(ROUTES);
  const attack = random.pick([
    'param',
    'param',
    'param',
    'number',
    'path',
    'name',
    'repeat',
    'method',
    'body',
    'auth',
  ]);
  let detail = attack;
  const params = new Map<string, string>();
  for (const [name, example] of Object.entries(route.params ?? {})) {
    if (random.chance(0.6)) params.set(name, fillExample(example, context));
  }
  if (random.chance(0.3))
    params.set('connectionId', random.chance(0.7) ? context.connectionId : randomUuid(random));
  const names = [...Object.keys(route.params ?? {}), 'connectionId', 'token'];
  // A value must fit the query (16 KiB of headers) or a form field (64 KiB) to reach a parser at all.
  const size = random.pick([8, 300, 12_000, 60_000, 100_000]);
  if (attack === 'param') {
    const name = random.pick(names);
    const value = hostileValue(random, size);
    params.set(name, value.value);
    detail = `param ${name}=${value.kind}`;
  } else if (attack === 'name') {
    const name = random.chance(0.7) ? random.pick(PROTOTYPE_KEYS) : hostileValue(random, 300).value;
    params.set(name, random.pick(['1', '{}', 'x', '']));
    detail = `param-name ${PROTOTYPE_KEYS.includes(name) ? name : 'hostile'}`;
  }
  const number = attack === 'number' ? numberAttack(random, route, params) : undefined;
  if (number) detail = number.detail;
  const segments = route.template.split('/').map((segment) => {
    if (!segment.startsWith(':')) return segment;
    const name = segment.slice(1);
    if (attack !== 'path') return percentEncode(pathExample(name, context));
    const value = hostileValue(random, random.pick([8, 300, 12_000]));
    detail = `path ${name}=${value.kind}`;
    return encodePart(random, value.value);
  });
  const method = attack === 'method' ? random.pick(METHODS) : random.pick(route.methods);
  if (attack === 'method') detail = `method ${method}`;
  const pairs = [...params].map(
    ([name, value]) => `${encodePart(random, name)}=${encodePart(random, value)}`,
  );
  if (attack === 'repeat') {
    const name = random.pick(names);
    pairs.push(`${name}=1`, `${name}=2`, `${name}[]=3`, `${name}[x]=4`);
    detail = `repeated ${name}`;
  }
  const auth = requestAuth(random, keys, attack === 'auth');
  if (auth.token !== undefined) pairs.push(`token=${auth.token}`);
  if (attack === 'auth') detail = `auth ${auth.kind}`;
  const body = number?.body
    ? { kind: 'json', headers: number.body.headers, bytes: number.body.bytes, takesQuery: true }
    : number?.inBody
      ? {
          kind: 'form',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          bytes: Buffer.from(pairs.join('&')),
          takesQuery: false,
        }
      : bodyFor(random, route, method, pairs, context, attack === 'body', hostileJson);
  if (attack === 'body') detail = `body ${body.kind}`;
  const query = body.takesQuery && pairs.length > 0 ? `?${pairs.join('&')}` : '';
  return {
    index,
    method,
    path: `${segments.join('/')}${query}`,
    headers: { ...auth.headers, ...body.headers },
    body: body.bytes,
    stream: route.stream === true,
    signature: `${method} ${route.template} ${detail}`,
    family: number?.family,
  };
}

export type { RouteSpec };
