import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../tests/harness/wait-for';
import { type MonitoringStack, startMonitoringStack } from '../monitoring-stack';
import { type PrometheusServer, startPrometheus } from './prometheus-server';
import { readRuleFile } from './rule-file';

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
// targets, and the down/absent alerts react to a killed collector.
describe('a real Prometheus scraping the services with the rules loaded', () => {
  let prometheus: PrometheusServer;
  /** When all three targets were seen up: evaluations after it see every service's series. */
  let upAt = 0;
  const rulesNow = async () =>
    (await prometheus.api<{ groups: { rules: RuleState[] }[] }>('rules')).groups.flatMap((g) => g.rules);

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
