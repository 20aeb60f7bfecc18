import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const STACK_ENV_FILE = `${REPO_ROOT}infra/local/.work/env`;

export interface StackEnv {
  kafkaBrokers: string[];
  databaseUrl: string;
  rabbitmqUrl: string;
  /** The Redis broker of the Redis-parameterized tests (infra/local/redis.sh or the user's own). */
  redisUrl: string;
  python: string;
  celeryAppDir: string;
}

const NAMES = {
  kafkaBrokers: 'CELERIAC_KAFKA_BROKERS',
  databaseUrl: 'CELERIAC_DATABASE_URL',
  rabbitmqUrl: 'CELERIAC_RABBITMQ_URL',
  redisUrl: 'CELERIAC_REDIS_URL',
  python: 'CELERIAC_PYTHON',
  celeryAppDir: 'CELERIAC_CELERY_APP_DIR',
} as const;

/**
 * Where the test servers are: the CELERIAC_* variables (a user's own servers, or what
 * infra/local/test.sh sourced), else the file infra/local/up.sh wrote.
 */
export function readStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const fromFile: Record<string, string> = {};
  if (existsSync(STACK_ENV_FILE)) {
    for (const line of readFileSync(STACK_ENV_FILE, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match?.[1]) fromFile[match[1]] = match[2] ?? '';
    }
  }
  const value = (name: string): string => {
    const found = env[name] || fromFile[name];
    if (!found)
      throw new Error(`${name} is not set and ${STACK_ENV_FILE} does not name it: run infra/local/up.sh`);
    return found;
  };
  return {
    kafkaBrokers: value(NAMES.kafkaBrokers).split(','),
    databaseUrl: value(NAMES.databaseUrl),
    rabbitmqUrl: value(NAMES.rabbitmqUrl),
    // Read when a Redis test asks for it, so a stack without Redis still runs the AMQP-only tests.
    get redisUrl() {
      return value(NAMES.redisUrl);
    },
    python: value(NAMES.python),
    celeryAppDir: value(NAMES.celeryAppDir),
  };
}
