import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetSlotsStore } from './fleet-slots-store';
import { createMembersStore } from './members-store';

const REPLICAS = 12;

/**
 * The fleet-wide admission against real PostgreSQL: many replicas admitting the same key at the same
 * moment, each holding one slot of its own, must leave exactly the limit admitted.
 */
describe('fleet slots in PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: REPLICAS });
    const members = createMembersStore(pool);
    for (let i = 0; i < REPLICAS; i += 1)
      await members.heartbeat({ memberId: `replica-${i}`, peerAddress: `10.0.0.${i}:7080` }, 60_000);
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('admits exactly the per-key limit when every replica asks at once, and counts a refusal nowhere', async () => {
    const holder = { caller: 'key-1', connectionId: 'connection-1' };
    const limits = { key: 5, connection: 100 };
    const outcomes = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) =>
        createFleetSlotsStore(pool, `replica-${i}`).admit(
          'stream',
          holder,
          () => ({ key: 1, connection: 1 }),
          limits,
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === null)).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'key')).toHaveLength(REPLICAS - 5);
    const { rows } = await pool.query<{ scope: string; replicas: number; held: number }>(
      `SELECT scope, count(*)::int AS replicas, sum(held)::int AS held FROM celeriac.gateway_fleet_slots
       WHERE kind = 'stream' GROUP BY scope ORDER BY scope`,
    );
    expect(rows).toEqual([
      { scope: 'connection', replicas: 5, held: 5 },
      { scope: 'key', replicas: 5, held: 5 },
    ]);
  });

  it('refuses by the connection when its limit is reached first, and a count of zero removes the row', async () => {
    const store = createFleetSlotsStore(pool, 'replica-0');
    const other = createFleetSlotsStore(pool, 'replica-1');
    const holder = { caller: 'key-2', connectionId: 'connection-2' };
    const limits = { key: 10, connection: 2 };
    expect(await other.admit('result-wait', holder, () => ({ key: 2, connection: 2 }), limits)).toBeNull();
    expect(await store.admit('result-wait', holder, () => ({ key: 1, connection: 1 }), limits)).toBe(
      'connection',
    );
    await other.record('result-wait', holder, { key: 0, connection: 0 });
    expect(await store.admit('result-wait', holder, () => ({ key: 1, connection: 1 }), limits)).toBeNull();
    const { rows } = await pool.query(
      "SELECT member_id, scope, held FROM celeriac.gateway_fleet_slots WHERE kind = 'result-wait' ORDER BY scope",
    );
    expect(rows).toEqual([
      { member_id: 'replica-0', scope: 'connection', held: 1 },
      { member_id: 'replica-0', scope: 'key', held: 1 },
    ]);
  });
});
