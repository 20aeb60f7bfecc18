/**
 * HAProxy (Debian's package, installed by infra/local/haproxy.sh) in front of the gateway replicas,
 * as a production load balancer would be: health checks on /readyz, so a replica that is down or
 * draining gets no new request, long tunnel timeouts for SSE and WebSocket, and a retry on another
 * replica when a connection is refused. The configuration is written by the test, and HAProxy runs
 * in the foreground as a child of the test, on ports of its own.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../harness/free-port';
import { REPO_ROOT } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';

const run = promisify(execFile);

export interface LoadBalancer {
  /** Base URL of the frontend, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Which backends HAProxy currently counts as up, by server name (g0, g1...). */
  serversUp(): Promise<Map<string, boolean>>;
  stop(): Promise<void>;
}

/** The configuration: one frontend, one backend with a server per gateway port. */
export function haproxyConfig(options: { port: number; statsPort: number; gatewayPorts: number[] }): string {
  const servers = options.gatewayPorts.map(
    (port, index) => `  server g${index} 127.0.0.1:${port} check inter 1s fall 2 rise 2`,
  );
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    // A readiness answer may take seconds on a loaded machine; without this the check times out
    // after `inter` and HAProxy takes healthy replicas out of service.
    '  timeout check 5s',
    // SSE and WebSocket streams stay open for the whole run; heartbeats keep them busy anyway.
    '  timeout tunnel 1h',
    '  retries 3',
    '  option redispatch',
    'frontend celeriac',
    `  bind 127.0.0.1:${options.port}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    ...servers,
    'frontend stats',
    `  bind 127.0.0.1:${options.statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
}

export async function startLoadBalancer(gatewayPorts: number[]): Promise<LoadBalancer> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'infra/local/haproxy.sh'), 'path']);
  const bin = stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'celeriac-haproxy-'));
  const [port, statsPort] = [await freePort(), await freePort()];
  const config = join(dir, 'haproxy.cfg');
  await writeFile(config, haproxyConfig({ port, statsPort, gatewayPorts }));
  await run(bin, ['-c', '-q', '-f', config]);
  const child: ChildProcess = spawn(bin, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;

  async function serversUp(): Promise<Map<string, boolean>> {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
    const up = new Map<string, boolean>();
    for (const line of csv.split('\n')) {
      const [proxy, server, ...rest] = line.split(',');
      // Column 18 (index 17) is the status: UP, DOWN, "UP 1/2" while rising, MAINT...
      if (proxy === 'gateways' && server && server !== 'BACKEND') up.set(server, rest[15] === 'UP');
    }
    return up;
  }

  try {
    await waitFor(
      'HAProxy to accept connections',
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${output}`);
        return (await serversUp()).size === gatewayPorts.length;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    serversUp,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
