import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { REPO_ROOT, readStackEnv, STACK_ENV_FILE } from './stack-env';

const STALE_AFTER_SECONDS = 3 * 3600;

/**
 * Makes sure the real servers answer before any int/e2e file runs. Where they come from is pluggable:
 * CELERIAC_* variables naming the user's own servers, or infra/local/up.sh starting them natively.
 * Also drops test databases left over by runs killed hours ago (never ones a concurrent run may use).
 */
export default async function setup(): Promise<void> {
  const given =
    process.env.CELERIAC_KAFKA_BROKERS &&
    process.env.CELERIAC_DATABASE_URL &&
    process.env.CELERIAC_RABBITMQ_URL;
  if (!given && !existsSync(STACK_ENV_FILE)) {
    execFileSync('bash', [`${REPO_ROOT}infra/local/up.sh`], { stdio: 'inherit' });
  }
  const stack = readStackEnv();
  Object.assign(process.env, {
    CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    CELERIAC_DATABASE_URL: stack.databaseUrl,
    CELERIAC_RABBITMQ_URL: stack.rabbitmqUrl,
    ...(process.env.CELERIAC_REDIS_URL ? {} : redisFromFile(stack)),
    CELERIAC_PYTHON: stack.python,
    CELERIAC_CELERY_APP_DIR: stack.celeryAppDir,
  });
  await dropStaleTestDatabases(stack.databaseUrl);
}

/** Passes the env file's Redis on to test workers, when the stack has one. */
function redisFromFile(stack: ReturnType<typeof readStackEnv>): Record<string, string> {
  try {
    return { CELERIAC_REDIS_URL: stack.redisUrl };
  } catch {
    return {};
  }
}

async function dropStaleTestDatabases(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'celeriac_t_%'",
    );
    const now = Date.now() / 1000;
    for (const { datname } of rows) {
      const createdAt = Number(datname.split('_')[2]);
      if (Number.isFinite(createdAt) && now - createdAt > STALE_AFTER_SECONDS) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  } finally {
    await client.end();
  }
}
