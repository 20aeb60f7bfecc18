import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@celeriac/service-runtime/logger';
import pg from 'pg';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
// Any constant works; it only has to be the same for every process migrating one database.
const MIGRATION_LOCK_KEY = 0x6365_6c72;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies the versioned SQL files in migrations/ that the database has not seen, each in its own
 * transaction, under an advisory lock so two migrators never race. Run by the `migrate` CLI or a
 * k8s Job, never implicitly by service replicas at boot.
 */
export async function migrate(databaseUrl: string, logger?: Logger): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', (error) => logger?.error({ err: error }, 'migration connection error'));
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.celeriac_schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (
        await client.query<{ version: string }>('SELECT version FROM public.celeriac_schema_migrations')
      ).rows.map((row) => row.version),
    );
    const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql')).sort();
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) {
        result.alreadyApplied.push(version);
        continue;
      }
      const sql = await readFile(MIGRATIONS_DIR + file, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO public.celeriac_schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      logger?.info({ version }, 'migration applied');
      result.applied.push(version);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
