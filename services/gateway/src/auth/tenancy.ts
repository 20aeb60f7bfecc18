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
}): { resolveConnection: ResolveConnection } {
  const unknown = () => new NotFoundError('Unknown connection');
  const checked = async (principal: Principal, id: string): Promise<string> => {
    if (!UUID.test(id)) throw new BadRequestError(`Invalid connectionId '${id}': expected a UUID`);
    const normalized = id.toLowerCase();
    if (!canSee(principal, normalized)) throw unknown();
    if (!(await options.store.connectionExists(normalized))) throw unknown();
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
