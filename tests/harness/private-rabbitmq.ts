/**
 * A RabbitMQ node of a test's own, for tests that take the broker down: the shared node serves every
 * other test file running at the same time, so it is never stopped. The node has its own name, AMQP
 * and distribution ports, data and log directories, Erlang cookie (its own HOME) and its own EPMD
 * (ERL_EPMD_PORT), so nothing it does reaches the shared node or its EPMD; no plugins, so it binds
 * no management port. It runs Debian's server script directly (the /usr/sbin wrapper would switch to
 * the rabbitmq user and use the system's directories).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const run = promisify(execFile);
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface PrivateRabbitMq {
  /** amqp URL of the default vhost `/`, user guest (allowed from loopback). */
  readonly url: string;
  /** Starts the node again with the same data, and waits until it accepts AMQP connections. */
  start(): Promise<void>;
  /** SIGKILL by default: the node dies the way a crashed broker does. SIGTERM stops it cleanly. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  remove(): Promise<void>;
}

export async function startPrivateRabbitMq(): Promise<PrivateRabbitMq> {
  const dir = await mkdtemp('/tmp/celeriac-private-rabbitmq-');
  const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${amqpPort}\n`);
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  const env = {
    ...process.env,
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `celeriac-${randomBytes(4).toString('hex')}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'node.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${amqpPort}/%2F`;
  let child: ChildProcess | undefined;
  let output = '';
  // The node runs in its own process group; a test runner that dies must not leave it behind.
  const killOnExit = () => {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    output = '';
    const node = spawn(SERVER, [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    node.stdout?.on('data', keep);
    node.stderr?.on('data', keep);
    child = node;
    await waitFor(
      `the private RabbitMQ on port ${amqpPort} to accept connections`,
      async () => {
        if (node.exitCode !== null) throw new Error(`RabbitMQ exited with ${node.exitCode}: ${output}`);
        const connection = await amqp.connect(url);
        await connection.close();
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }

  async function stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = child;
    child = undefined;
    if (!node?.pid || node.exitCode !== null || node.signalCode !== null) return;
    const exited = new Promise((resolve) => node.once('exit', resolve));
    // The whole group: beam and its port programs (erl_child_setup, inet_gethost).
    process.kill(-node.pid, signal);
    await exited;
  }

  const stopEpmd = () => run('epmd', ['-kill'], { env }).catch(() => undefined);
  try {
    await start();
  } catch (error) {
    await stop();
    await stopEpmd();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    start,
    stop,
    async remove() {
      await stop();
      process.off('exit', killOnExit);
      await stopEpmd();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
