import type { IncomingHttpHeaders } from 'node:http';

/** Roles, from least to most powerful; `support` adds celery-stats to what a viewer may do. */
export type Role = 'viewer' | 'operator' | 'support' | 'admin';

/** Who is calling: resolved from an API key (or the explicit no-auth opt-in). */
export interface Principal {
  readonly keyId: string | null;
  readonly role: Role;
  /** True for admin keys made for every connection and for the no-auth mode. */
  readonly allConnections: boolean;
  readonly connectionIds: ReadonlySet<string>;
}

/** What a request presents: `Authorization: Bearer <key>`, Waldur's `Token <key>`, or `?token=`. */
export interface Credentials {
  readonly authorization?: string;
  readonly token?: string;
}

export interface Authenticator {
  /** Null when the credentials are missing, unknown or revoked. */
  authenticate(credentials: Credentials): Promise<Principal | null>;
}

export function credentialsFrom(headers: IncomingHttpHeaders, query: URLSearchParams): Credentials {
  const token = query.get('token') ?? undefined;
  return { authorization: headers.authorization, token };
}

/** Extracts the key itself from the credentials, or null when none was presented. */
export function presentedKey(credentials: Credentials): string | null {
  const match = /^(?:Bearer|Token)\s+(\S+)$/i.exec(credentials.authorization?.trim() ?? '');
  return match?.[1] ?? credentials.token ?? null;
}

/** A connection outside the key's set is treated exactly like one that does not exist. */
export function canSee(principal: Principal, connectionId: string): boolean {
  return principal.allConnections || principal.connectionIds.has(connectionId);
}

const GRANTS: Record<Role, ReadonlySet<string>> = {
  viewer: new Set(['read']),
  operator: new Set(['read', 'command']),
  support: new Set(['read', 'celery-stats']),
  admin: new Set(['read', 'command', 'celery-stats', 'admin']),
};

export type Permission = 'read' | 'command' | 'celery-stats' | 'admin';

export function allows(principal: Principal, permission: Permission): boolean {
  return GRANTS[principal.role].has(permission);
}
