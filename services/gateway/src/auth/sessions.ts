import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionsStore } from '../data/sessions-store';
import { type Authenticator, type Credentials, type Principal, presentedKey } from './principal';

export const SESSION_COOKIE = 'celeriac_session';
/** 32 random bytes in base64url. */
const SESSION_VALUE = /^[A-Za-z0-9_-]{43}$/;
/** A Cookie header longer than this is not read (browsers cap one cookie at 4 KiB anyway). */
const MAX_COOKIE_HEADER = 8_192;

export function newSessionValue(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database stores: the cookie value itself would let anyone who reads the table sign in. */
export function sessionHash(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The CSRF token of a session, derived from its cookie value: a page of another site can make the
 * browser send the cookie but cannot read it, so it cannot compute or fetch this token.
 */
export function csrfTokenFor(value: string): string {
  return createHmac('sha256', value).update('celeriac-csrf').digest('base64url');
}

export function sameToken(expected: string, given: string | undefined): boolean {
  if (given === undefined || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

/** The session cookie's value from a Cookie header, or null. Linear: one split, no regex on the header. */
export function sessionCookie(header: string | undefined): string | null {
  if (!header || header.length > MAX_COOKIE_HEADER) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return SESSION_VALUE.test(value) ? value : null;
  }
  return null;
}

/**
 * Keys first, as before: a request that presents a key is judged by the key alone. Otherwise the
 * session cookie, looked up on every request (no cache), so a revoked key's sessions stop at once.
 */
export function withSessions(keys: Authenticator, store: Pick<SessionsStore, 'findKey'>): Authenticator {
  return {
    async authenticate(credentials: Credentials): Promise<Principal | null> {
      if (presentedKey(credentials) !== null) return keys.authenticate(credentials);
      const value = sessionCookie(credentials.cookie);
      if (!value) return keys.authenticate(credentials);
      const hash = sessionHash(value);
      const row = await store.findKey(hash);
      if (!row) return null;
      return {
        keyId: row.key_id,
        role: row.role,
        allConnections: row.all_connections,
        connectionIds: new Set(row.connection_ids),
        name: row.name,
        session: {
          csrfToken: csrfTokenFor(value),
          id: hash.toString('hex'),
          endsAt: Date.now() + row.expires_in_ms,
        },
      };
    },
  };
}
