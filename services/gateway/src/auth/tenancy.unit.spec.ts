import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError } from '../errors';
import type { Principal } from './principal';
import { createTenancy } from './tenancy';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';

/** An in-memory stand-in for the connections table (unit tier). */
function store(ids: string[]) {
  let lookups = 0;
  return {
    lookups: () => lookups,
    connectionExists: async (id: string) => {
      lookups += 1;
      return ids.includes(id);
    },
    someConnectionIds: async () => ids.slice(0, 2),
  };
}
const key = (ids: string[], allConnections = false): Principal => ({
  keyId: 'k',
  role: 'viewer',
  allConnections,
  connectionIds: new Set(ids),
});

describe('resolveConnection', () => {
  it('needs no selector for a key bound to one connection (Flower clients unchanged)', async () => {
    const { resolveConnection } = createTenancy({ store: store([A, B]) });
    expect(await resolveConnection(key([A]), undefined)).toBe(A);
  });

  it('answers a connection outside the key exactly like a missing one', async () => {
    const { resolveConnection } = createTenancy({ store: store([A, B]) });
    const outside = await resolveConnection(key([A]), B).catch((error: Error) => error);
    const missing = await resolveConnection(key([A, C]), C).catch((error: Error) => error);
    expect(outside).toBeInstanceOf(NotFoundError);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((outside as Error).message).toBe((missing as Error).message);
  });

  it('asks a several-connection key to choose, and refuses a malformed id', async () => {
    const { resolveConnection } = createTenancy({ store: store([A, B]) });
    await expect(resolveConnection(key([A, B]), undefined)).rejects.toBeInstanceOf(BadRequestError);
    await expect(resolveConnection(key([A]), 'nope')).rejects.toBeInstanceOf(BadRequestError);
    expect(await resolveConnection(key([A, B]), B.toUpperCase())).toBe(B);
  });

  it('uses the default connection, or the only one for an all-connections key', async () => {
    expect(
      await createTenancy({ store: store([A, B]), defaultConnection: B }).resolveConnection(
        key([], true),
        undefined,
      ),
    ).toBe(B);
    expect(await createTenancy({ store: store([A]) }).resolveConnection(key([], true), undefined)).toBe(A);
    await expect(
      createTenancy({ store: store([A, B]) }).resolveConnection(key([], true), undefined),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('remembers existing connections for the TTL only', async () => {
    let now = 0;
    const connections = store([A]);
    const { resolveConnection } = createTenancy({ store: connections, now: () => now, existsTtlMs: 1_000 });
    await resolveConnection(key([A]), undefined);
    await resolveConnection(key([A]), undefined);
    expect(connections.lookups()).toBe(1);
    now = 1_001;
    await resolveConnection(key([A]), undefined);
    expect(connections.lookups()).toBe(2);
  });
});
