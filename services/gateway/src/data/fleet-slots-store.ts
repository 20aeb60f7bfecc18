import type pg from 'pg';

/** The quotas counted across the fleet (column `kind`, migration 0016). */
export type FleetKind = 'stream' | 'result-wait';
export type FleetScope = 'key' | 'connection';

/** Who holds a slot: the caller (API key id or address) and the connection it is for. */
export interface FleetHolder {
  readonly caller: string;
  readonly connectionId: string;
}

/** This replica's counts of one kind for one holder (the key's and the connection's). */
export interface HeldHere {
  readonly key: number;
  readonly connection: number;
}

/** All SQL of the fleet-wide slot counts (table celeriac.gateway_fleet_slots, migration 0016). */
export function createFleetSlotsStore(pool: pg.Pool, memberId: string) {
  return {
    /**
     * Under the key's then the connection's lock (always that order, so two admissions never wait on
     * each other): when the other live replicas' slots plus `local()` (this replica's counts, read
     * just before the one round trip) stay within both limits, records `local()` as this replica's
     * counts and answers null; otherwise changes nothing and answers the scope whose limit is reached.
     * One call of the function of migration 0017.
     */
    async admit(
      kind: FleetKind,
      holder: FleetHolder,
      local: () => HeldHere,
      limits: HeldHere,
    ): Promise<FleetScope | null> {
      const mine = local();
      const { rows } = await pool.query<{ refused: FleetScope | null }>(
        'SELECT celeriac.gateway_fleet_admit($1, $2, $3, $4, $5, $6, $7, $8) AS refused',
        [
          memberId,
          kind,
          holder.caller,
          holder.connectionId,
          mine.key,
          mine.connection,
          limits.key,
          limits.connection,
        ],
      );
      return rows[0]?.refused ?? null;
    },
    /** Records this replica's current counts for `holder` (a slot was released or an admission undone). */
    record(kind: FleetKind, holder: FleetHolder, held: HeldHere): Promise<void> {
      return write(pool, memberId, kind, holder, held);
    },
  };
}

/** Upserts the key's and the connection's rows; a count of zero deletes its row. One statement. */
async function write(
  db: pg.Pool | pg.PoolClient,
  memberId: string,
  kind: FleetKind,
  holder: FleetHolder,
  held: HeldHere,
): Promise<void> {
  await db.query(
    `WITH counts (scope, holder, held) AS (
       VALUES ('key'::text, $3::text, $4::integer), ('connection'::text, $5::text, $6::integer)),
     gone AS (
       DELETE FROM celeriac.gateway_fleet_slots s USING counts c
       WHERE s.member_id = $1 AND s.kind = $2 AND s.scope = c.scope AND s.holder = c.holder AND c.held = 0)
     INSERT INTO celeriac.gateway_fleet_slots (member_id, kind, scope, holder, held)
     SELECT $1, $2, scope, holder, held FROM counts WHERE held > 0
     ON CONFLICT (member_id, kind, scope, holder) DO UPDATE SET held = EXCLUDED.held`,
    [memberId, kind, holder.caller, held.key, holder.connectionId, held.connection],
  );
}

export type FleetSlotsStore = ReturnType<typeof createFleetSlotsStore>;
