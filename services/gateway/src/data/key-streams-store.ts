import type pg from 'pg';

/** All SQL of the fleet-wide per-key stream count (table celeriac.gateway_key_streams, migration 0015). */
export function createKeyStreamsStore(pool: pg.Pool, memberId: string) {
  return {
    /**
     * Under a per-caller lock: when the other live replicas' streams of `caller` plus `local()` (this
     * replica's count, read once the lock is held) stay within `limit`, records `local()` as this
     * replica's count and answers true; otherwise changes nothing and answers false.
     */
    async admit(caller: string, local: () => number, limit: number): Promise<boolean> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          "SELECT pg_advisory_xact_lock(hashtextextended('celeriac.key_streams:' || $1, 0))",
          [caller],
        );
        const { rows } = await client.query<{ others: string }>(
          `SELECT coalesce(sum(s.streams), 0) AS others
           FROM celeriac.gateway_key_streams s
           JOIN celeriac.gateway_members m ON m.member_id = s.member_id AND m.expires_at > now()
           WHERE s.caller = $1 AND s.member_id <> $2`,
          [caller, memberId],
        );
        const mine = local();
        const admitted = Number(rows[0]?.others ?? 0) + mine <= limit;
        if (admitted) await upsert(client, memberId, caller, mine);
        await client.query('COMMIT');
        return admitted;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    /** Records this replica's current count of `caller` (a stream ended, or an admission was undone). */
    async record(caller: string, streams: number): Promise<void> {
      if (streams > 0) await upsert(pool, memberId, caller, streams);
      else
        await pool.query('DELETE FROM celeriac.gateway_key_streams WHERE member_id = $1 AND caller = $2', [
          memberId,
          caller,
        ]);
    },
  };
}

async function upsert(db: pg.Pool | pg.PoolClient, memberId: string, caller: string, streams: number) {
  await db.query(
    `INSERT INTO celeriac.gateway_key_streams (member_id, caller, streams) VALUES ($1, $2, $3)
     ON CONFLICT (member_id, caller) DO UPDATE SET streams = EXCLUDED.streams`,
    [memberId, caller, streams],
  );
}

export type KeyStreamsStore = ReturnType<typeof createKeyStreamsStore>;
