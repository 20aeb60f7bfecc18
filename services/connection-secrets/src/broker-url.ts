/**
 * Broker URLs a connection may hold, parsed without a regex over unbounded input: the gateway
 * validates with it before sealing a URL, the collector picks its broker adapter with it.
 *   amqp://, amqps://                     RabbitMQ (AMQP 0-9-1)
 *   redis://, rediss:// (TLS)             one Redis server; the path is the database number
 *   sentinel://h1:26379;sentinel://h2:26379[/db]
 *                                         Redis Sentinel, as kombu spells it; the master name is the
 *                                         connection option `redisMasterName`
 */
export type BrokerKind = 'amqp' | 'redis';

export interface RedisEndpoint {
  host: string;
  port: number;
}

export interface RedisTarget {
  /** One server, or the sentinels to ask for the master. */
  endpoints: RedisEndpoint[];
  sentinel: boolean;
  tls: boolean;
  db: number;
  username: string | undefined;
  password: string | undefined;
}

export const MAX_BROKER_URL_LENGTH = 2048;
const MAX_SENTINELS = 16;

export function brokerKindOf(url: string): BrokerKind | undefined {
  const scheme = url.slice(0, Math.max(0, url.indexOf('://'))).toLowerCase();
  if (scheme === 'amqp' || scheme === 'amqps') return 'amqp';
  if (scheme === 'redis' || scheme === 'rediss' || scheme === 'sentinel') return 'redis';
  return undefined;
}

function parseOne(part: string, expected: string[], allowQuery = false): URL {
  let url: URL;
  try {
    url = new URL(part);
  } catch {
    throw new Error(`"${part.slice(0, 100)}" is not a URL`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (!expected.includes(scheme)) throw new Error(`scheme ${scheme}:// is not one of ${expected.join(', ')}`);
  if (url.hostname === '') throw new Error('the URL names no host');
  if ((url.search !== '' && !allowQuery) || url.hash !== '')
    throw new Error('query strings and fragments are not accepted');
  return url;
}

/** A redis://, rediss:// or sentinel:// URL as connection settings; throws saying what is wrong. */
export function parseRedisUrl(raw: string): RedisTarget {
  if (raw.length > MAX_BROKER_URL_LENGTH) throw new Error(`longer than ${MAX_BROKER_URL_LENGTH} characters`);
  const parts = raw.split(';').map((part) => part.trim());
  const sentinel = parts[0]?.toLowerCase().startsWith('sentinel://') ?? false;
  if (!sentinel && parts.length > 1) throw new Error('only sentinel:// URLs may list several addresses');
  if (parts.length > MAX_SENTINELS) throw new Error(`at most ${MAX_SENTINELS} sentinel addresses`);
  const urls = parts.map((part) => parseOne(part, sentinel ? ['sentinel'] : ['redis', 'rediss']));
  const first = urls[0] as URL;
  const path = first.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!/^\d{1,5}$/.test(path || '0') || !Number.isInteger(db) || db > 65_535)
    throw new Error(`the path must be a database number, not "${path.slice(0, 50)}"`);
  const endpoints = urls.map((url) => ({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (sentinel ? 26379 : 6379) : Number(url.port),
  }));
  return {
    endpoints,
    sentinel,
    tls: first.protocol === 'rediss:',
    db,
    username: first.username === '' ? undefined : decodeURIComponent(first.username),
    password: first.password === '' ? undefined : decodeURIComponent(first.password),
  };
}

/** Why a broker URL cannot be used, or undefined when it can. */
export function brokerUrlProblem(url: string): string | undefined {
  if (url.length > MAX_BROKER_URL_LENGTH)
    return `brokerUrl is longer than ${MAX_BROKER_URL_LENGTH} characters`;
  const kind = brokerKindOf(url);
  if (kind === undefined)
    return 'brokerUrl must be an amqp://, amqps://, redis://, rediss:// or sentinel:// URL';
  try {
    if (kind === 'redis') parseRedisUrl(url);
    else parseOne(url, ['amqp', 'amqps'], true);
  } catch (error) {
    return `brokerUrl: ${(error as Error).message}`;
  }
  return undefined;
}
