import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';
import { beforeAll, describe, expect, it } from 'vitest';
import { schemaFields } from '../docs/schema-fields';
import { SERVICE_CONFIGS } from '../docs/service-configs';

// The Compose file as Docker would run it: `docker-compose config` (Debian's docker-compose; it
// validates and resolves without a Docker engine) merges env files, interpolates .env and checks
// every key against the Compose schema. The resolved file is then checked against the code: each
// Celeriac container runs a command of the image's entrypoint, sets only variables its config
// schema reads (and every one the service reads, as k8s/ does), and probes and publishes the ports
// it configures; the dependencies' addresses and credentials are the ones those containers serve.
const DIR = join(REPO_ROOT, 'infra/compose');
const FILE = join(DIR, 'docker-compose.yml');
const SECRETS = {
  POSTGRES_PASSWORD: 'pg-secret',
  RABBITMQ_PASSWORD: 'mq-secret',
  CELERIAC_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  CELERIAC_CONTROL_TOKEN: 'a-control-token-of-32-characters',
};
const PROFILES = ['--profile', 'redis', '--profile', 'tools', '--profile', 'demo'];

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | null>;
  /** docker-compose 1.x renders the short forms: "[ip:]published:target/proto", "source:target[:mode]". */
  ports?: (string | { target: number })[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: (string | { source?: string; target: string })[];
}

function compose(args: string[], envFile?: string) {
  const env = envFile ? ['--env-file', envFile] : [];
  // No inherited CELERIAC_* variables: Compose would interpolate those instead of .env's.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(CELERIAC|POSTGRES|RABBITMQ)_/.test(key)),
  );
  return spawnSync('docker-compose', [...env, '-f', FILE, ...PROFILES, ...args], {
    cwd: DIR,
    env: clean,
    encoding: 'utf8',
  });
}

let services: Record<string, ComposeService>;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-compose-'));
  try {
    const envFile = join(dir, '.env');
    writeFileSync(
      envFile,
      Object.entries(SECRETS)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const rendered = compose(['config'], envFile);
    if (rendered.status !== 0) throw new Error(`docker-compose config failed: ${rendered.stderr}`);
    const script = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))';
    services = JSON.parse(
      execFileSync('python3', ['-c', script], { input: rendered.stdout, encoding: 'utf8' }),
    ).services;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The commands the image's entrypoint accepts (its `case` labels). */
const entrypointCommands = () =>
  [...readFileSync(join(REPO_ROOT, 'infra/image/celeriac.sh'), 'utf8').matchAll(/^ {2}([a-z]+)\) /gm)].map(
    (match) => match[1],
  );
const celeriac = () =>
  Object.entries(services).filter(([, service]) => service.image?.startsWith('celeriac'));
const envOf = (service: ComposeService) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? '']));
const configOf = (command: string) => {
  const found = SERVICE_CONFIGS.find((config) => config.name === (command === 'admin' ? 'gateway' : command));
  if (!found) throw new Error(`no config schema for ${command}`);
  return found;
};
const targetPort = (port: string | { target: number }) =>
  typeof port === 'string' ? Number(/:(\d+)(\/\w+)?$/.exec(port)?.[1]) : port.target;
const mount = (volume: string | { source?: string; target: string }) => {
  if (typeof volume !== 'string') return { source: volume.source ?? '', target: volume.target };
  const [source = '', target = ''] = volume.split(':');
  return { source, target };
};
const portOfUrl = (text: string) => Number(/http:\/\/127\.0\.0\.1:(\d+)\/readyz/.exec(text)?.[1]);

describe('infra/compose/docker-compose.yml', () => {
  it('refuses to render without the secrets of .env, naming the one missing', () => {
    const result = compose(['config', '-q']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /set (POSTGRES_PASSWORD|RABBITMQ_PASSWORD|CELERIAC_SECRET_KEY|CELERIAC_CONTROL_TOKEN) in \.env/,
    );
  });

  it('runs every Celeriac process the image has, each with a command of its entrypoint', () => {
    const commands = celeriac().map(([, service]) => service.command?.[0]);
    expect(commands.every((command) => entrypointCommands().includes(command ?? ''))).toBe(true);
    expect(new Set(commands)).toEqual(
      new Set(['migrate', 'topics', 'collector', 'projector', 'gateway', 'admin']),
    );
  });

  it('sets only variables each process reads, every one a service reads, and a valid environment', () => {
    for (const [name, service] of celeriac()) {
      const command = service.command?.[0] as string;
      const config = configOf(command);
      const env = envOf(service);
      const fields = schemaFields(config.schema);
      const known = new Set(fields.map((field) => field.key));
      expect({ name, unknown: Object.keys(env).filter((key) => !known.has(key)) }).toEqual({
        name,
        unknown: [],
      });
      if (command === 'admin') continue; // the CLI reads a few of the gateway's variables, not all
      const settable = fields.filter((field) => field.required || field.defaultValue !== undefined);
      expect({ name, unset: settable.filter((f) => !(f.key in env)).map((f) => f.key) }).toEqual({
        name,
        unset: [],
      });
      expect({ name, issues: config.schema.safeParse(env).error?.issues ?? [] }).toEqual({
        name,
        issues: [],
      });
    }
  });

  it('health-checks and publishes the ports the services are configured with', () => {
    const expectations = {
      collector: 'CELERIAC_COLLECTOR_OPS_PORT',
      projector: 'CELERIAC_PROJECTOR_OPS_PORT',
      gateway: 'CELERIAC_GATEWAY_PORT',
    } as const;
    for (const [name, variable] of Object.entries(expectations)) {
      const service = services[name] as ComposeService;
      const port = Number(envOf(service)[variable]);
      expect({ name, probe: portOfUrl(service.healthcheck?.test.join(' ') ?? '') }).toEqual({
        name,
        probe: port,
      });
      expect({ name, published: service.ports?.map(targetPort) }).toEqual({ name, published: [port] });
    }
    const collector = envOf(services.collector as ComposeService);
    expect(collector.CELERIAC_COLLECTOR_GRPC_ADVERTISE).toBe(
      `collector:${collector.CELERIAC_COLLECTOR_GRPC_PORT}`,
    );
    // Gateways on other containers dial it: Control must listen beyond loopback, with its token.
    expect(collector.CELERIAC_CONTROL_HOST).toBe('0.0.0.0');
    expect(envOf(services.gateway as ComposeService).CELERIAC_CONTROL_TOKEN).toBe(
      collector.CELERIAC_CONTROL_TOKEN,
    );
  });

  it('points every process at the Kafka, PostgreSQL and RabbitMQ containers with their credentials', () => {
    const kafka = envOf(services.kafka as ComposeService);
    const postgres = envOf(services.postgres as ComposeService);
    const rabbit = envOf(services.rabbitmq as ComposeService);
    const advertised = kafka.KAFKA_ADVERTISED_LISTENERS?.replace(/^PLAINTEXT:\/\//, '');
    const database = `postgres://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`;
    for (const [name, service] of celeriac()) {
      const env = envOf(service);
      if ('CELERIAC_KAFKA_BROKERS' in env)
        expect({ name, kafka: env.CELERIAC_KAFKA_BROKERS }).toEqual({ name, kafka: advertised });
      if ('CELERIAC_DATABASE_URL' in env)
        expect({ name, db: env.CELERIAC_DATABASE_URL }).toEqual({ name, db: database });
    }
    const broker = `amqp://${rabbit.RABBITMQ_DEFAULT_USER}:${rabbit.RABBITMQ_DEFAULT_PASS}@rabbitmq:5672//`;
    for (const name of ['demo-worker', 'demo-traffic'])
      expect(envOf(services[name] as ComposeService).CELERY_BROKER_URL).toBe(broker);
  });

  it('starts the services after migrate and topics succeeded, with partitions for three projectors', () => {
    for (const name of ['collector', 'projector', 'gateway']) {
      const needs = services[name]?.depends_on ?? {};
      expect({ name, migrate: needs.migrate?.condition, topics: needs.topics?.condition }).toEqual({
        name,
        migrate: 'service_completed_successfully',
        topics: 'service_completed_successfully',
      });
    }
    expect(
      Number(envOf(services.topics as ComposeService).CELERIAC_EVENTS_PARTITIONS),
    ).toBeGreaterThanOrEqual(3);
  });

  it('runs the demo app of tests/celery-app with task events on', () => {
    const worker = services['demo-worker'] as ComposeService;
    const source = worker.volumes?.map(mount).find((volume) => volume.target === '/app')?.source ?? '';
    expect(source).toBe(join(REPO_ROOT, 'tests/celery-app'));
    expect(existsSync(join(source, 'requirements.txt'))).toBe(true);
    expect(worker.command?.join(' ')).toMatch(/celery -A demo_app worker -E /);
  });
});
