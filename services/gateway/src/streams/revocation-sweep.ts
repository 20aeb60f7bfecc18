import type { Logger } from '@celeriac/service-runtime/logger';
import type { Principal } from '../auth/principal';
import type { LiveClient } from './live-clients';

/** What a stream was opened with: the key (null without auth) and the connection it reads. */
export interface StreamGrant {
  readonly keyId: string | null;
  readonly connectionId: string;
  /** The dashboard session it was opened with (Principal.session.id); absent when a key was presented. */
  readonly sessionId?: string;
  /** When that session ends (Date.now() terms): the stream is ended then, without waiting for a sweep. */
  readonly sessionEndsAt?: number;
}

export function streamGrantOf(principal: Principal, connectionId: string): StreamGrant {
  const session = principal.session;
  if (!session) return { keyId: principal.keyId, connectionId };
  return { keyId: principal.keyId, connectionId, sessionId: session.id, sessionEndsAt: session.endsAt };
}

/**
 * Of the given grants, those still valid (key live and allowed the connection, connection present,
 * session not signed out nor expired), as `grantKey`s. One query for all of them.
 */
export type CheckGrants = (grants: readonly StreamGrant[]) => Promise<ReadonlySet<string>>;

export const grantKey = (grant: StreamGrant): string =>
  `${grant.keyId ?? ''}\u0000${grant.connectionId}\u0000${grant.sessionId ?? ''}`;

/**
 * Ends the open streams of revoked keys and deleted connections. Run once per heartbeat interval: it
 * asks about every distinct (key, connection) of the open clients in one query, and revokes only
 * clients that were asked about, so a stream opened while the query ran is judged on the next tick.
 * When the database cannot answer, streams continue (their key was valid when they opened) and the
 * next tick asks again. A call while a sweep runs (a revocation notice) runs one more sweep after it,
 * since the running one may have read the grants before the change.
 */
export function createRevocationSweep(deps: {
  clients: () => Iterable<LiveClient>;
  check: CheckGrants;
  logger: Logger;
  onRevoked: (client: LiveClient) => void;
}) {
  let running = false;
  let again = false;
  const sweepOnce = async (): Promise<void> => {
    try {
      const asked = new Map<string, { grant: StreamGrant; clients: LiveClient[] }>();
      for (const client of deps.clients()) {
        const key = grantKey(client.grant);
        const group = asked.get(key);
        if (group) group.clients.push(client);
        else asked.set(key, { grant: client.grant, clients: [client] });
      }
      if (asked.size === 0) return;
      const valid = await deps.check([...asked.values()].map((group) => group.grant));
      for (const [key, group] of asked) {
        if (valid.has(key)) continue;
        for (const client of group.clients) deps.onRevoked(client);
      }
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not recheck stream grants; streams continue');
    }
  };
  return async function sweep(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await sweepOnce();
      } while (again);
    } finally {
      running = false;
    }
  };
}
