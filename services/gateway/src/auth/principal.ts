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
  /** The key's name, for the dashboard and the record of task commands. */
  readonly name?: string;
  /** Set when the caller came with a dashboard session cookie rather than the key itself. */
  readonly session?: {
    readonly csrfToken: string;
    /** Hex of the session's row key (the hash of the cookie, never the cookie): what open streams recheck. */
    readonly id: string;
    /** When the session ends, in this process's Date.now() terms; its open streams end then. */
    readonly endsAt: number;
  };
}

/**
 * What a request presents: `Authorization: Bearer <key>`, Waldur's `Token <key>`, `?token=`, or the
 * dashboard's session cookie (used only when no key is presented).
 */
export interface Credentials {
  readonly authorization?: string;
  readonly token?: string;
  /** The raw Cookie header. */
  readonly cookie?: string;
}

export interface Authenticator {
  /** Null when the credentials are missing, unknown or revoked. */
  authenticate(credentials: Credentials): Promise<Principal | null>;
}

export function credentialsFrom(headers: IncomingHttpHeaders, query: URLSearchParams): Credentials {
  const token = query.get('token') ?? undefined;
  return { authorization: headers.authorization, token, cookie: headers.cookie };
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

/** The permissions of a role, in a fixed order (the dashboard shows only what these allow). */
export function permissionsOf(role: Role): Permission[] {
  return (['read', 'command', 'celery-stats', 'admin'] as const).filter((p) => GRANTS[role].has(p));
}

export function allows(principal: Principal, permission: Permission): boolean {
  return GRANTS[principal.role].has(permission);
}
