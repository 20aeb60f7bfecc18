/**
 * A PostgreSQL server of a test's own: initdb into a temporary directory, pg_ctl on its own port and
 * socket directory, one migrated database. For tests that take PostgreSQL down, since the shared
 * server serves every other test file running at the same time. Uses Debian's server binaries
 * (/usr/lib/postgresql/<version>/bin). initdb refuses to run as root, so as root the cluster belongs
 * to the `postgres` system user and its commands run through runuser.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrate } from '@celeriac/schema/migrate';
import pg from 'pg';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** URL of the migrated database `celeriac`. */
  readonly url: string;
  /** Starts the server again on the same port and data, and waits until it accepts queries. */
  start(): Promise<void>;
  /** `immediate` (default) aborts every backend without a checkpoint, as a crash does; `fast` is a clean stop. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /**
   * SIGSTOP to the server and every backend: it still accepts TCP connections (the kernel does) but
   * answers nothing, as a hung host or a network partition looks to clients. `thaw` resumes it.
   */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  remove(): Promise<void>;
}

async function binDir(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await binDir();
  const dir = await mkdtemp('/tmp/celeriac-private-pg-');
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  const as = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { timeout: 120_000 })
      : run(join(bin, command), args, { timeout: 120_000 });

  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    // Durable as in production: with fsync or synchronous_commit off, a crash (stop -m immediate)
    // loses transactions PostgreSQL already reported committed, which no client can make up for.
    '-c max_connections=100',
  ].join(' ');
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const url = `postgres://postgres@127.0.0.1:${port}/celeriac`;

  async function start(): Promise<void> {
    await as('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      serverOptions,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    await waitFor(`the private PostgreSQL on port ${port} to accept queries`, async () => {
      const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    });
  }

  async function stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await as('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']).catch((error: unknown) => {
      // Already stopped is fine; anything else is not.
      if (!String((error as { stderr?: string }).stderr ?? '').includes('is the server running')) throw error;
    });
  }

  async function signalServer(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const postmaster = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // The server's own children only (by parent pid): nothing outside this cluster is touched.
    const { stdout } = await run('pgrep', ['-P', String(postmaster)]).catch(() => ({ stdout: '' }));
    const pids = [postmaster, ...stdout.split('\n').filter(Boolean).map(Number)];
    // Stop the parent first so it forks no new backend meanwhile; resume it last.
    for (const pid of signal === 'SIGSTOP' ? pids : pids.reverse()) process.kill(pid, signal);
  }

  try {
    await start();
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query('CREATE DATABASE celeriac').finally(() => client.end());
    await migrate(url);
  } catch (error) {
    await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    start,
    stop,
    freeze: () => signalServer('SIGSTOP'),
    thaw: () => signalServer('SIGCONT'),
    async remove() {
      await signalServer('SIGCONT').catch(() => undefined);
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
