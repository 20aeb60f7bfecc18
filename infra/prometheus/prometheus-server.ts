import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@celeriac/tests/harness/free-port';
import { waitFor } from '@celeriac/tests/harness/wait-for';

const RULE_FILES = ['celeriac-recording.yml', 'celeriac-alerts.yml'].map((file) =>
  join(import.meta.dirname, file),
);

export interface PrometheusServer {
  readonly url: string;
  /** GET /api/v1/<path>; throws on a non-success answer. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A private Prometheus server (Debian's `prometheus` binary) on a free port with its own storage,
 * scraping the given targets every second under the job names docs/monitoring.md asks for and
 * loading the rules of this directory, evaluated every second.
 */
export async function startPrometheus(targets: Record<string, string>): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const jobs = Object.entries(targets).map(
    ([job, target]) => `  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']`,
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s',
      `rule_files:\n${RULE_FILES.map((file) => `  - ${file}`).join('\n')}`,
      `scrape_configs:\n${jobs.join('\n')}`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => {
    log += `\n${error.message} (Debian: apt-get install -y prometheus)`;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'prometheus to be ready',
      async () => {
        if (child.exitCode !== null || child.pid === undefined)
          throw new Error(`prometheus did not start: ${log}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ?? false;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await stop();
    throw error;
  }
  return {
    url,
    async api<T>(path: string): Promise<T> {
      const response = await fetch(`${url}/api/v1/${path}`);
      const body = (await response.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus /api/v1/${path}: ${body.error}`);
      return body.data;
    },
    stop,
  };
}
