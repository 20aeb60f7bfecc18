import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMembersStore } from '../data/members-store';
import { createPgMembership, type Membership } from './membership';

describe('gateway membership in PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  const running: Membership[] = [];
  const member = (id: string) => {
    const membership = createPgMembership({
      store: createMembersStore(pool),
      self: { memberId: id, peerAddress: `${id}:7000` },
      renewMs: 100,
      ttlMs: 2_000,
      logger: silentLogger,
    });
    running.push(membership);
    return membership;
  };
  const ids = (m: Membership) => m.members.map((x) => x.memberId);

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
  });

  afterAll(async () => {
    for (const m of running) await m.stop();
    await pool.end();
    await db.drop();
  });

  it('replicas see each other, a stopped one leaves at once, a dead one after its TTL', async () => {
    const a = member('a');
    const b = member('b');
    await a.start();
    await b.start();
    await waitFor('both see both', () => ids(a).join() === 'a,b' && ids(b).join() === 'a,b');
    expect(b.members.find((m) => m.memberId === 'a')?.peerAddress).toBe('a:7000');

    await b.stop();
    await waitFor('a sees b leave', () => ids(a).join() === 'a');

    // A replica killed -9 leaves its row behind and stops renewing it.
    await pool.query(
      `INSERT INTO celeriac.gateway_members (member_id, peer_address, expires_at)
       VALUES ('dead', 'dead:7000', now() + interval '1 second')`,
    );
    await waitFor('a sees the replica while its row is fresh', () => ids(a).join() === 'a,dead');
    await waitFor('a drops it once its TTL passed', () => ids(a).join() === 'a', { timeoutMs: 5_000 });
  });
});
