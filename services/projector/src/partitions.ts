import type { Logger } from '@celeriac/service-runtime/logger';
import type { Pool } from 'pg';

const DAY_MS = 86_400_000;
// SQLSTATE 42P07 duplicate_table: another replica created the same partition first.
const DUPLICATE_TABLE = '42P07';
const NAME = /^task_events_p(\d{4})(\d{2})(\d{2})$/;

export const dayStartMs = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
const partitionName = (dayMs: number) =>
  `task_events_p${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;

/**
 * Daily partitions of celeriac.task_events: created ahead of time and on demand (a rebuild replays
 * old days), dropped whole when older than the retention. Partition DDL runs outside the batch
 * transaction, since attaching a partition locks the parent table. The partitions keep the longest
 * retention of any connection (at least `retentionDays`); shorter ones are trimmed by retention.ts.
 */
export function createPartitionManager(options: {
  pool: Pool;
  logger: Logger;
  retentionDays: number;
  daysAhead: number;
}) {
  const { pool, logger } = options;
  // Bounded: only days inside the retention window (plus the days ahead) are ever remembered.
  const known = new Set<number>();
  let horizonDays = options.retentionDays;

  async function create(dayMs: number): Promise<void> {
    const name = partitionName(dayMs);
    const from = new Date(dayMs).toISOString();
    const to = new Date(dayMs + DAY_MS).toISOString();
    try {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS celeriac.${name} PARTITION OF celeriac.task_events FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    } catch (error) {
      if ((error as { code?: string }).code !== DUPLICATE_TABLE) throw error;
    }
    known.add(dayMs);
  }

  return {
    /** Days before this are past retention: their events are not kept in the history. */
    retentionStartMs(nowMs: number): number {
      return dayStartMs(nowMs) - horizonDays * DAY_MS;
    },

    async ensureDays(daysMs: Iterable<number>): Promise<void> {
      for (const day of daysMs) if (!known.has(day)) await create(day);
    },

    /** Creates today's and the coming days' partitions and drops those past retention. */
    async maintain(nowMs: number): Promise<{ dropped: string[] }> {
      const longest = await pool.query<{ days: number | null }>(
        'SELECT max(retention_days) AS days FROM celeriac.connections',
      );
      horizonDays = Math.max(options.retentionDays, longest.rows[0]?.days ?? 0);
      const today = dayStartMs(nowMs);
      for (let day = 0; day <= options.daysAhead; day += 1) await create(today + day * DAY_MS);
      const cutoff = this.retentionStartMs(nowMs);
      const { rows } = await pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = 'celeriac' AND p.relname = 'task_events'`,
      );
      const dropped: string[] = [];
      for (const { name } of rows) {
        const match = NAME.exec(name);
        if (!match) continue;
        const dayMs = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
        if (dayMs + DAY_MS > cutoff) continue;
        await pool.query(`DROP TABLE IF EXISTS celeriac.${name}`);
        known.delete(dayMs);
        dropped.push(name);
        logger.info({ partition: name }, 'history partition dropped by retention');
      }
      for (const day of known) if (day < cutoff) known.delete(day);
      return { dropped };
    },
  };
}

export type PartitionManager = ReturnType<typeof createPartitionManager>;
