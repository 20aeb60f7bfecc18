/**
 * A Kafka broker of a test's own: KRaft, one node, its own ports and data directory. For tests that
 * take Kafka down, since the shared broker serves every other test file running at the same time.
 * It runs the jars infra/local/kafka.sh resolves from Maven Central (`kafka.sh install` is a no-op
 * once they are there) with the same server.properties, so it is the same Kafka as the stack's.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './free-port';
import { REPO_ROOT } from './stack-env';
import { waitFor } from './wait-for';

const run = promisify(execFile);
const KAFKA_SRC = join(REPO_ROOT, 'infra/local/kafka');
const LIBS = join(REPO_ROOT, 'infra/local/.work/kafka/libs');

export interface PrivateKafka {
  readonly brokers: string[];
  /** Starts the broker again on the same ports and data, and waits until it serves metadata. */
  start(): Promise<void>;
  /** SIGKILL by default: the broker dies the way a crashed node does. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  remove(): Promise<void>;
}

function withProperty(text: string, name: string, value: string): string {
  const line = `${name}=${value}`;
  const pattern = new RegExp(`^${name.replaceAll('.', '\\.')}=.*$`, 'm');
  return pattern.test(text) ? text.replace(pattern, line) : `${text}\n${line}\n`;
}

export async function startPrivateKafka(): Promise<PrivateKafka> {
  await run('bash', [join(REPO_ROOT, 'infra/local/kafka.sh'), 'install'], { timeout: 900_000 });
  const dir = await mkdtemp(join(tmpdir(), 'celeriac-private-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const config = join(dir, 'server.properties');
  let text = await readFile(join(KAFKA_SRC, 'server.properties'), 'utf8');
  for (const [name, value] of [
    ['log.dirs', join(dir, 'data')],
    ['listeners', `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://127.0.0.1:${port}`],
    ['controller.quorum.voters', `1@127.0.0.1:${controllerPort}`],
  ] as const)
    text = withProperty(text, name, value);
  await writeFile(config, text);
  // A KRaft cluster id is 16 random bytes in URL-safe base64 without padding. One that starts with
  // '-' is read as an option by kafka-storage (1 in 64; a CI run met one), so it is drawn again, as
  // Kafka's own random-uuid does.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  await run(
    'java',
    [
      `-Dlog4j.configuration=file:${join(KAFKA_SRC, 'tools-log4j.properties')}`,
      '-cp',
      `${LIBS}/*`,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      config,
    ],
    { timeout: 120_000 },
  );

  const brokers = [`127.0.0.1:${port}`];
  let child: ChildProcess | undefined;
  let output = '';
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    output = '';
    const broker = spawn(
      'java',
      [
        '-Xms128m',
        '-Xmx384m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${join(dir, 'logs')}`,
        `-Dlog4j.configuration=file:${join(KAFKA_SRC, 'log4j.properties')}`,
        '-cp',
        `${LIBS}/*`,
        'kafka.Kafka',
        config,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    broker.stdout?.on('data', keep);
    broker.stderr?.on('data', keep);
    child = broker;
    const admin = new Kafka({ clientId: 'private-kafka-probe', brokers, logLevel: logLevel.NOTHING }).admin();
    try {
      const outcome = await waitFor(
        `the private Kafka on ${brokers[0]} to serve metadata`,
        async () => {
          if (broker.exitCode !== null) return 'exited';
          try {
            await admin.connect();
            await admin.listTopics();
            return 'ready';
          } catch {
            await admin.disconnect().catch(() => undefined);
            return false;
          }
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      if (outcome === 'exited') throw new Error(`Kafka exited with ${broker.exitCode}: ${output}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const broker = child;
    child = undefined;
    if (!broker || broker.exitCode !== null || broker.signalCode !== null) return;
    const exited = new Promise((resolve) => broker.once('exit', resolve));
    broker.kill(signal);
    await exited;
  }

  try {
    await start();
  } catch (error) {
    await stop();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    throw error;
  }
  return {
    brokers,
    start,
    stop,
    async remove() {
      await stop();
      // A directory emptied while the filesystem still settles can answer ENOTEMPTY once (seen in CI):
      // rm retries that, as it does EBUSY.
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}
