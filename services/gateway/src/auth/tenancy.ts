import type { AdminStore } from '../data/admin-store';
import { BadRequestError, NotFoundError } from '../errors';
import { canSee, type Principal } from './principal';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ResolveConnection = (principal: Principal, requested: string | undefined) => Promise<string>;

/**
 * Picks the connection a request is about. A key bound to exactly one connection needs no selector,
 * so Flower clients work unchanged; otherwise `connectionId` / `X-Celeriac-Connection` names it. A
 * connection outside the key's set answers exactly like one that does not exist (404).
 */
export function createTenancy(options: {
  store: Pick<AdminStore, 'connectionExists' | 'someConnectionIds'>;
  defaultConnection?: string;
  now?: () => number;
  /** How long an existing connection is remembered; 0 disables. A deleted one answers 404 after this. */
  existsTtlMs?: number;
}): { resolveConnection: ResolveConnection } {
  const unknown = () => new NotFoundError('Unknown connection');
  const now = options.now ?? Date.now;
  const ttl = options.existsTtlMs ?? 5_000;
  // Bounded: at most 10,000 remembered connections; only positive answers are kept.
  const known = new Map<string, number>();
  const exists = async (id: string): Promise<boolean> => {
    const until = known.get(id);
    if (until !== undefined && until > now()) return true;
    const found = await options.store.connectionExists(id);
    known.delete(id);
    if (found && ttl > 0) {
      if (known.size >= 10_000) known.delete(known.keys().next().value as string);
      known.set(id, now() + ttl);
    }
    return found;
  };
  const checked = async (principal: Principal, id: string): Promise<string> => {
    // Echo at most a UUID's length of what the client sent: a 16 KB header is not repeated back.
    if (!UUID.test(id))
      throw new BadRequestError(`Invalid connectionId '${id.slice(0, 128)}': expected a UUID`);
    const normalized = id.toLowerCase();
    if (!canSee(principal, normalized)) throw unknown();
    if (!(await exists(normalized))) throw unknown();
    return normalized;
  };
  const resolveConnection: ResolveConnection = async (principal, requested) => {
    if (requested !== undefined && requested !== '') return checked(principal, requested);
    if (!principal.allConnections && principal.connectionIds.size === 1) {
      return checked(principal, principal.connectionIds.values().next().value as string);
    }
    if (options.defaultConnection && canSee(principal, options.defaultConnection.toLowerCase())) {
      return checked(principal, options.defaultConnection);
    }
    if (principal.allConnections) {
      const ids = await options.store.someConnectionIds();
      if (ids.length === 1) return ids[0] as string;
    }
    throw new BadRequestError(
      'This key sees several connections (or none): choose one with ?connectionId= or the X-Celeriac-Connection header',
    );
  };
  return { resolveConnection };
}
