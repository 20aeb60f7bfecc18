import { z } from 'zod';

/** The environment of migrate-cli.ts (its own module so deployment checks and docs can read it). */
export const migrateConfigSchema = z.object({
  /** PostgreSQL URL of the Celeriac database. Required. */
  CELERIAC_DATABASE_URL: z.string().url(),
  /** Log level (pino). Default info. */
  CELERIAC_LOG_LEVEL: z.string().default('info'),
});
