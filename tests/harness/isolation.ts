import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { migrate } from '@celeriac/schema/migrate';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { readStackEnv } from './stack-env';

const run = promisify(execFile);

function uniqueSuffix(): string {
  return `${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
}

/** Replaces the database (path) of a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh database with every migration applied, for one test file. */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const { databaseUrl } = readStackEnv();
  const name = `celeriac_t_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(databaseUrl, name);
  await migrate(url);
  return {
    url,
    name,
    async drop() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Topic names unique to one test file, created with the given partition count. */
export async function createTestTopics(
  names: string[],
  numPartitions = 3,
  brokers: string[] = readStackEnv().kafkaBrokers,
): Promise<{ topics: Record<string, string>; remove(): Promise<void> }> {
  const suffix = uniqueSuffix().replace('_', '-');
  const topics = Object.fromEntries(names.map((name) => [name, `test.${name}.${suffix}`]));
  const kafka = new Kafka({
    clientId: 'test-harness',
    brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return {
    topics,
    async remove() {
      const cleanup = kafka.admin();
      await cleanup.connect();
      try {
        await cleanup.deleteTopics({ topics: Object.values(topics) });
      } finally {
        await cleanup.disconnect();
      }
    },
  };
}

/** A RabbitMQ virtual host of its own, so a test's exchanges, queues and workers see nobody else's. */
export async function createTestVhost(): Promise<{ vhost: string; url: string; remove(): Promise<void> }> {
  const { rabbitmqUrl } = readStackEnv();
  const vhost = `celeriac_t_${uniqueSuffix()}`;
  const user = decodeURIComponent(new URL(rabbitmqUrl).username || 'guest');
  await run('rabbitmqctl', ['-q', 'add_vhost', vhost]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
  const url = new URL(rabbitmqUrl);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    vhost,
    url: url.toString(),
    async remove() {
      await run('rabbitmqctl', ['-q', 'delete_vhost', vhost]);
    },
  };
}
