import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { createTestVhost } from '@celeriac/tests/harness/isolation';
import { REPO_ROOT, readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MonitoringStack, startMonitoringStack } from '../monitoring-stack';
import { type PrometheusServer, startPrometheus } from './prometheus-server';
import { readRuleFile } from './rule-file';

const run = promisify(execFile);
const rules = ['celeriac-recording.yml', 'celeriac-alerts.yml'].flatMap((file) =>
  readRuleFile(readFileSync(join(import.meta.dirname, file), 'utf8')),
);

let stack: MonitoringStack;
beforeAll(async () => {
  stack = await startMonitoringStack();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  lastEvaluation: string;
  alerts?: { labels: Record<string, string>; state: string }[];
}

// The rules as a real Prometheus loads and evaluates them on the services' real series: no
// evaluation error (those only show with real label sets), the example job names select the
// targets, the Celery alerts react to a real worker's failures and death, and the down/absent
// alerts to a killed collector.
describe('a real Prometheus scraping the services with the rules loaded', () => {
  let prometheus: PrometheusServer;
  /** When all three targets were seen up: evaluations after it see every service's series. */
  let upAt = 0;
  const rulesNow = async () =>
    (await prometheus.api<{ groups: { rules: RuleState[] }[] }>('rules')).groups.flatMap((g) => g.rules);
  const activeAlerts = async (name: string) =>
    (await rulesNow()).find((rule) => rule.name === name)?.alerts ?? [];
  const resultCount = async (promql: string) =>
    (await prometheus.api<{ result: unknown[] }>(`query?query=${encodeURIComponent(promql)}`)).result.length;

  beforeAll(async () => {
    prometheus = await startPrometheus({
      'celeriac-collector': stack.metricsTargets.collector,
      'celeriac-projector': stack.metricsTargets.projector,
      'celeriac-gateway': stack.metricsTargets.gateway,
    });
  }, 90_000);
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('scrapes the three services under the job names the rules expect', async () => {
    await waitFor('the three celeriac-* targets to be up', async () => {
      const up = await prometheus.api<{ result: { value: [number, string] }[] }>(
        `query?query=${encodeURIComponent('up{job=~"celeriac-.*"} == 1')}`,
      );
      return up.result.length === 3;
    });
    upAt = Date.now();
  });

  it('evaluates every rule without an error and fires no down or absent alert while all are up', async () => {
    const loaded = await waitFor(
      'every rule to be evaluated after the targets were up',
      async () => {
        const now = await rulesNow();
        const fresh = now.every((rule) => Date.parse(rule.lastEvaluation) > upAt + 1000);
        return fresh && now.length === rules.length ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(loaded.filter((rule) => rule.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    const downOrAbsent = loaded.filter(
      (rule) => /TargetDown|Absent$/.test(rule.name) && (rule.alerts ?? []).length > 0,
    );
    expect(downOrAbsent.map((rule) => rule.name)).toEqual([]);
  });

  it('raises CeleryTaskFailureRateHigh and CeleryWorkerDown for a real worker whose tasks fail and which then dies', async () => {
    const vhost = await createTestVhost();
    let worker: CeleryWorker | undefined;
    try {
      await run(
        process.execPath,
        [
          '--import',
          'tsx',
          'services/gateway/src/cli/admin.ts',
          'connections',
          'add',
          '--name',
          'monitoring',
          '--broker-url',
          vhost.url,
        ],
        { cwd: REPO_ROOT, env: { ...process.env, ...stack.env } },
      );
      await waitFor(
        'the collector to consume the connection',
        async () => (await resultCount('celeriac_collector_connected_brokers == 1')) === 1,
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'monitoring' });
      const nodeName = worker.nodeName;
      await waitFor(
        'the worker to be online in Prometheus',
        async () => (await resultCount(`flower_worker_online{worker="${nodeName}"} == 1`)) === 1,
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const { python, celeryAppDir } = readStackEnv();
      const sendFailingTasks = () =>
        run(python, ['-c', "from demo_app import app\nfor _ in range(40): app.send_task('tasks.error')"], {
          cwd: celeryAppDir,
          env: { ...process.env, CELERY_BROKER_URL: vhost.url, CELERY_RESULT_BACKEND: '' },
          timeout: 60_000,
        });
      // rate() sees no increase in a counter's first sample: when a busy projector folds all failures
      // between two scrapes, the series is born at its final value and the ratio stays empty. So a
      // second wave is sent once Prometheus has the series.
      await sendFailingTasks();
      await waitFor(
        'the failures to reach Prometheus',
        async () => (await resultCount('flower_events_total{type="task-failed",task="tasks.error"} > 0')) > 0,
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      await sendFailingTasks();
      const failing = await waitFor(
        'CeleryTaskFailureRateHigh to become pending',
        async () => {
          const alerts = await activeAlerts('CeleryTaskFailureRateHigh');
          return alerts.length > 0 ? alerts : undefined;
        },
        // 40 failing tasks run, are folded by the projector, scraped and evaluated: slow on a busy CI box.
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      expect(failing.map((alert) => alert.labels.task)).toEqual(['tasks.error']);

      await worker.kill();
      const down = await waitFor(
        'CeleryWorkerDown to become pending',
        async () => {
          const alerts = await activeAlerts('CeleryWorkerDown');
          return alerts.length > 0 ? alerts : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      expect(down.map((alert) => alert.labels.worker)).toEqual([nodeName]);
    } finally {
      await worker?.stop();
      await vhost.remove();
    }
  }, 480_000);

  it('raises CeleriacTargetDown and CeleriacCollectorAbsent once the collector is killed', async () => {
    await stack.services.get('collector')?.kill();
    const raised = await waitFor(
      'the down and absent alerts to become pending',
      async () => {
        const now = await rulesNow();
        const active = (name: string) => (now.find((rule) => rule.name === name)?.alerts ?? []).length > 0;
        return active('CeleriacTargetDown') && active('CeleriacCollectorAbsent') ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const down = raised.find((rule) => rule.name === 'CeleriacTargetDown')?.alerts ?? [];
    expect(down.map((alert) => alert.labels.job)).toEqual(['celeriac-collector']);
    const stillSeen = raised.filter(
      (rule) =>
        ['CeleriacProjectorAbsent', 'CeleriacGatewayAbsent'].includes(rule.name) &&
        (rule.alerts ?? []).length > 0,
    );
    expect(stillSeen).toEqual([]);
  });
});
