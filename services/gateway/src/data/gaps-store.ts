import type pg from 'pg';

export interface GapRow {
  gap_id: string;
  cause: string;
  collector_id: string;
  started_at: Date;
  ended_at: Date | null;
  dropped_messages: string | null;
  dropped_bytes: string | null;
}

/** Windows in which a connection's events were missed, as the collector recorded them (migration 0013). */
export function createGapsStore(pool: pg.Pool) {
  return {
    /** Newest first; `before` is the gapId of the last row of the previous page. */
    async list(connectionId: string, before: bigint | undefined, limit: number): Promise<GapRow[]> {
      const result = await pool.query<GapRow>(
        `SELECT gap_id, cause, collector_id, started_at, ended_at, dropped_messages, dropped_bytes
         FROM celeriac.event_gaps
         WHERE connection_id = $1 AND ($2::bigint IS NULL OR gap_id < $2::bigint)
         ORDER BY gap_id DESC LIMIT $3`,
        [connectionId, before === undefined ? null : before.toString(), limit],
      );
      return result.rows;
    },
  };
}

export type GapsStore = ReturnType<typeof createGapsStore>;
