import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCollectorMetrics } from '@celeriac/collector/metrics';
import { requestMetrics } from '@celeriac/gateway/http/request-metrics';
import { createStreamMetrics } from '@celeriac/gateway/streams/stream-metrics';
import { createProjectorMetrics } from '@celeriac/projector/metrics';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type Dashboard, dashboardQueries } from './grafana/dashboard-queries';
import { promqlGroupingLabels, promqlMetricNames, promqlSelectors } from './prometheus/promql-names';
import { readRuleFile } from './prometheus/rule-file';

/** Labels Prometheus adds to every series it scrapes, and the bucket bound of histograms. */
const ADDED = ['job', 'instance'];

/** The gateway's registry as its main.ts fills it: default metrics, requests, live streams. */
function gatewayRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  requestMetrics(registry);
  createStreamMetrics(registry);
  return registry;
}

/** Label names of every series the services' registries can produce (the names are checked against /metrics by monitoring.int.spec.ts). */
function seriesLabels(): Map<string, string[]> {
  const registries = [
    createCollectorMetrics().registry,
    createProjectorMetrics().registry,
    gatewayRegistry(),
  ];
  const labels = new Map<string, string[]>();
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      const {
        name,
        type,
        labelNames = [],
      } = metric as unknown as {
        name: string;
        type: string;
        labelNames?: string[];
      };
      if (type === 'histogram') {
        labels.set(`${name}_bucket`, [...labelNames, 'le']);
        labels.set(`${name}_sum`, [...labelNames]);
        labels.set(`${name}_count`, [...labelNames]);
      } else labels.set(name, [...labelNames]);
    }
    registry.clear();
  }
  return labels;
}

const GRAFANA = join(import.meta.dirname, 'grafana');
const rules = ['celeriac-recording.yml', 'celeriac-alerts.yml'].flatMap((file) =>
  readRuleFile(readFileSync(join(import.meta.dirname, 'prometheus', file), 'utf8')).map((rule) => ({
    where: `${file} ${rule.name}`,
    kind: rule.kind,
    name: rule.name,
    expr: rule.expr,
  })),
);
const panels = readdirSync(GRAFANA)
  .filter((file) => file.endsWith('.json'))
  .flatMap((file) => dashboardQueries(JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard))
  .filter((query) => query.language === 'promql')
  .map((query) => ({ where: query.where, expr: query.text }));

const labels = seriesLabels();
// A recorded series may carry any label of the series its rule reads (an over-approximation).
for (const rule of rules.filter((r) => r.kind === 'record')) {
  const read = promqlMetricNames(rule.expr).flatMap((name) => labels.get(name) ?? []);
  labels.set(rule.name, [...new Set(read)]);
}

/** Labels an expression names that none of the series it reads can carry. */
function unknownLabels(expr: string): string[] {
  const known = (metric: string) => [...ADDED, ...(labels.get(metric) ?? [])];
  const fromSelectors = promqlSelectors(expr).flatMap(({ metric, labels: matched }) =>
    matched.filter((label) => !known(metric).includes(label)).map((label) => `${metric}{${label}}`),
  );
  const readable = new Set(promqlMetricNames(expr).flatMap(known));
  const fromGrouping = promqlGroupingLabels(expr).filter((label) => !readable.has(label));
  return [...fromSelectors, ...fromGrouping];
}

// A label misspelt in a rule never matches, and the rule's own unit test cannot notice: its
// synthetic series use the same spelling. The services' metric definitions are the reference.
describe('label names of the rules and dashboards', () => {
  it('knows the labels of the metrics the services define', () => {
    expect(labels.get('flower_events_total')).toEqual(['connection', 'worker', 'type', 'task']);
  });

  it('every label a rule or a Grafana query matches or groups on exists on a series it reads', () => {
    expect(rules.length + panels.length).toBeGreaterThan(60);
    const unknown = [...rules, ...panels]
      .map(({ where, expr }) => ({ where, labels: unknownLabels(expr) }))
      .filter((entry) => entry.labels.length > 0);
    expect(unknown).toEqual([]);
  });
});
