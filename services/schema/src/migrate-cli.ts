import { parseConfig } from '@celeriac/service-runtime/config';
import { createLogger } from '@celeriac/service-runtime/logger';
import { migrate } from './migrate';
import { migrateConfigSchema } from './migrate-config';

// `npm run migrate -w @celeriac/schema`: the explicit migration step (also the k8s migrate Job).
const config = parseConfig(migrateConfigSchema, process.env);
const logger = createLogger({ service: 'migrate', level: config.CELERIAC_LOG_LEVEL });
try {
  const result = await migrate(config.CELERIAC_DATABASE_URL, logger);
  logger.info(
    { applied: result.applied.length, alreadyApplied: result.alreadyApplied.length },
    'database is up to date',
  );
} catch (error) {
  logger.error({ err: error }, 'migration failed');
  process.exitCode = 1;
}
