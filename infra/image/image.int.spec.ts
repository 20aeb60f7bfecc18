import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startCollector, startGateway, startProjector } from '@celeriac/tests/harness/celeriac-services';
import { createTestVhost, withDatabase } from '@celeriac/tests/harness/isolation';
import { heapFlags, type ServiceProcess } from '@celeriac/tests/harness/service-process';
import { REPO_ROOT, readStackEnv } from '@celeriac/tests/harness/stack-env';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRuntimeTree,
  celeriac,
  containerLaunch,
  node24Bin,
  onNode,
  processImage,
  type RuntimeTree,
} from './compiled-stack';

// The image's build steps (infra/image/build.sh, which the Dockerfile RUNs) run here; the runtime
// tree they assemble then runs as the container does, on Node 24 (the image's) and on this
// machine's Node, against the real Kafka and PostgreSQL with a database and topics of its own.

const run = promisify(execFile);
const stack = readStackEnv();
const MIGRATIONS = readdirSync(`${REPO_ROOT}services/schema/migrations`)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.replace(/\.sql$/, ''))
  .sort();
const kafka = new Kafka({ clientId: 'image-test', brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });

let tree: RuntimeTree;
beforeAll(async () => {
  tree = await buildRuntimeTree();
  console.info(
    `image build steps: compile ${(tree.compileMs / 1000).toFixed(1)} s, assemble ${(tree.assembleMs / 1000).toFixed(1)} s; ` +
      `runtime tree ${(tree.bytes / 1e6).toFixed(1)} MB`,
  );
}, 900_000);
afterAll(() => tree?.remove());

async function onDatabase(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const MACHINE_MAJOR = Number(process.versions.node.split('.')[0]);
const NODES = [
  { name: 'Node 24 (the image)', major: 24, bin: node24Bin },
  {
    name: `Node ${MACHINE_MAJOR} (this machine)`,
    major: MACHINE_MAJOR,
    bin: async () => dirname(process.execPath),
  },
];

describe.each(NODES)('the compiled image on $name', ({ major, bin }) => {
  const suffix = `${Date.now()}_${randomBytes(4).toString('hex')}`;
  const database = `celeriac_t_image_${suffix}`;
  const topics = { events: `test.image-events.${suffix}`, deadLetter: `test.image-dead.${suffix}` };
  const services: ServiceProcess[] = [];
  let nodeBin: string;
  let env: Record<string, string>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let adminKey: string;

  beforeAll(async () => {
    nodeBin = await bin();
    vhost = await createTestVhost();
    await onDatabase(stack.databaseUrl, `CREATE DATABASE "${database}"`);
    env = {
      ...onNode(nodeBin),
      CELERIAC_DATABASE_URL: withDatabase(stack.databaseUrl, database),
      CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      CELERIAC_EVENTS_TOPIC: topics.events,
      CELERIAC_DEAD_LETTER_TOPIC: topics.deadLetter,
      CELERIAC_SECRET_KEY: randomBytes(32).toString('base64'),
      CELERIAC_EVENTS_PARTITIONS: '2',
      CELERIAC_LOG_LEVEL: 'warn',
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill()));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await onDatabase(stack.databaseUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await vhost?.remove();
  });

  it(`runs on Node ${major}`, async () => {
    const { stdout } = await run(join(nodeBin, 'node'), ['--version']);
    expect(stdout.trim()).toMatch(new RegExp(`^v${major}\\.`));
  });

  it('migrate applies every migration to an empty database and topics creates both topics', async () => {
    await celeriac(tree.dir, ['migrate'], env);
    const applied = await onDatabase(
      env.CELERIAC_DATABASE_URL as string,
      'SELECT version FROM celeriac_schema_migrations ORDER BY version',
    );
    expect(applied.rows.map((row) => row.version)).toEqual(MIGRATIONS);

    await celeriac(tree.dir, ['topics'], env);
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin
      .fetchTopicMetadata({ topics: [topics.events] })
      .finally(() => admin.disconnect());
    expect(metadata.topics[0]?.partitions).toHaveLength(2);
  });

  it('admin adds a connection and creates an admin key', async () => {
    await celeriac(
      tree.dir,
      ['admin', 'connections', 'add', '--name', 'image-check', '--broker-url', vhost.url],
      env,
    );
    const output = await celeriac(
      tree.dir,
      ['admin', 'keys', 'create', '--name', 'image', '--role', 'admin', '--all'],
      env,
    );
    adminKey = /key \(shown once, store it now\): (\S+)/.exec(output)?.[1] ?? '';
    expect(adminKey).not.toBe('');
  });

  it('collector, projector and gateway start on it, with their heap caps, and answer /healthz and /readyz', async () => {
    const timings: string[] = [];
    const timed = async <T extends ServiceProcess>(start: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const service = await start();
      services.push(service);
      timings.push(`${service.name} ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return service;
    };
    await timed(() => startCollector(env, { launch: containerLaunch(tree.dir, 'collector') }));
    await timed(() => startProjector(env, undefined, { launch: containerLaunch(tree.dir, 'projector') }));
    await timed(() => startGateway(env, { launch: containerLaunch(tree.dir, 'gateway') }));
    console.info(`start to /readyz on Node ${major}: ${timings.join(', ')}`);

    for (const service of services) {
      const running = processImage(service.process.pid as number);
      expect(running.executable).toBe(realpathSync(join(nodeBin, 'node')));
      expect(running.argv).toEqual(
        expect.arrayContaining(['--conditions=celeriac-dist', ...heapFlags(service.name)]),
      );
      expect(running.argv.at(-1)).toBe(join(realpathSync(tree.dir), `services/${service.name}/dist/main.js`));
      for (const probe of ['healthz', 'readyz']) {
        const response = await fetch(service.readyUrl.replace(/readyz$/, probe));
        expect(response.status, `${service.name} /${probe}`).toBe(200);
      }
    }
  });

  it('the gateway answers the API for the key the admin command made', async () => {
    const gateway = services.find((service) => service.name === 'gateway');
    const response = await fetch(gateway?.readyUrl.replace(/readyz$/, 'api/v1/connections') ?? '', {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { name: string }[] };
    expect(body.items.map((item) => item.name)).toEqual(['image-check']);
  });

  it('each service exits 0 on SIGTERM, as at a rolling update', async () => {
    const codes = await Promise.all(services.map(async (service) => [service.name, await service.stop()]));
    expect(Object.fromEntries(codes)).toEqual({ collector: 0, projector: 0, gateway: 0 });
  });
});
