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
     * each other): when the other live replicas' slots plus `local()` (read once the locks are held)
     * stay within both limits, records `local()` as this replica's counts and answers null; otherwise
     * changes nothing and answers the scope whose limit is reached.
     */
    async admit(
      kind: FleetKind,
      holder: FleetHolder,
      local: () => HeldHere,
      limits: HeldHere,
    ): Promise<FleetScope | null> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const [scope, id] of [
          ['key', holder.caller],
          ['connection', holder.connectionId],
        ])
          await client.query(
            "SELECT pg_advisory_xact_lock(hashtextextended('celeriac.fleet_slots:' || $1, 0))",
            [`${kind}:${scope}:${id}`],
          );
        const { rows } = await client.query<{ key: string; connection: string }>(
          `SELECT coalesce(sum(s.held) FILTER (WHERE s.scope = 'key'), 0) AS key,
                  coalesce(sum(s.held) FILTER (WHERE s.scope = 'connection'), 0) AS connection
           FROM celeriac.gateway_fleet_slots s
           JOIN celeriac.gateway_members m ON m.member_id = s.member_id AND m.expires_at > now()
           WHERE s.kind = $2 AND s.member_id <> $1
             AND ((s.scope = 'key' AND s.holder = $3) OR (s.scope = 'connection' AND s.holder = $4))`,
          [memberId, kind, holder.caller, holder.connectionId],
        );
        const mine = local();
        const refused: FleetScope | null =
          Number(rows[0]?.key ?? 0) + mine.key > limits.key
            ? 'key'
            : Number(rows[0]?.connection ?? 0) + mine.connection > limits.connection
              ? 'connection'
              : null;
        if (!refused) await write(client, memberId, kind, holder, mine);
        await client.query('COMMIT');
        return refused;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
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
