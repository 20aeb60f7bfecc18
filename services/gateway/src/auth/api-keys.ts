import { createHash, randomBytes } from 'node:crypto';
import type { AdminStore } from '../data/admin-store';
import { type Authenticator, type Principal, presentedKey } from './principal';

const KEY_PREFIX = 'clk_';
const MAX_KEY_LENGTH = 256;

/** A new secret key; only its SHA-256 is stored, so it is shown to the user exactly once. */
export function generateApiKey(): { key: string; prefix: string; hash: Buffer } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The explicit no-auth opt-in (CELERIAC_AUTH_DISABLED): everything, everywhere. */
export const UNAUTHENTICATED_ADMIN: Principal = {
  keyId: null,
  role: 'admin',
  allConnections: true,
  connectionIds: new Set(),
};

/**
 * Looks keys up by hash in celeriac.api_keys. A small time-bounded cache keeps the database off the
 * hot path of every request; a revoked key therefore stops working within `cacheTtlMs`. Known keys and
 * unknown ones are remembered apart, so a flood of made-up keys churns only the second and never
 * pushes real keys out (which would send every real request to the database).
 */
export function createApiKeyAuthenticator(options: {
  store: Pick<AdminStore, 'findLiveKeyByHash'>;
  now: () => number;
  cacheTtlMs?: number;
  cacheSize?: number;
}): Authenticator {
  const ttl = options.cacheTtlMs ?? 5_000;
  const capacity = options.cacheSize ?? 1_000;
  const known = new Map<string, { principal: Principal | null; expiresAt: number }>();
  const unknown = new Map<string, { principal: Principal | null; expiresAt: number }>();
  return {
    async authenticate(credentials) {
      const key = presentedKey(credentials);
      if (!key || key.length > MAX_KEY_LENGTH) return null;
      const digest = hashApiKey(key);
      const cacheKey = digest.toString('base64');
      const cached = known.get(cacheKey) ?? unknown.get(cacheKey);
      if (cached && cached.expiresAt > options.now()) return cached.principal;
      const row = await options.store.findLiveKeyByHash(digest);
      const principal: Principal | null = row
        ? {
            keyId: row.key_id,
            role: row.role,
            allConnections: row.all_connections,
            connectionIds: new Set(row.connection_ids),
            name: row.name,
          }
        : null;
      known.delete(cacheKey);
      unknown.delete(cacheKey);
      const cache = principal ? known : unknown;
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
      cache.set(cacheKey, { principal, expiresAt: options.now() + ttl });
      return principal;
    },
  };
}

/** Authenticator for the no-auth opt-in: every request is the unauthenticated admin. */
export const openAuthenticator: Authenticator = {
  async authenticate() {
    return UNAUTHENTICATED_ADMIN;
  },
};
