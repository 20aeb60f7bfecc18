import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dashboard,
  dashboardQueries,
  dataSourceTypes,
  expandGrafanaSql,
} from './grafana/dashboard-queries';
import { type MonitoringStack, startMonitoringStack } from './monitoring-stack';
import { promqlMetricNames } from './prometheus/promql-names';
import { readRuleFile } from './prometheus/rule-file';

const GRAFANA = join(import.meta.dirname, 'grafana');
const PROMETHEUS = join(import.meta.dirname, 'prometheus');
/** Series Prometheus makes itself for every target. */
const PROMETHEUS_OWN = ['up'];

/** Sample names of a /metrics page: each TYPE line's name, with a histogram's or summary's suffixes. */
function exportedNames(page: string): string[] {
  return [...page.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) =>
    type === 'histogram'
      ? [`${name}_bucket`, `${name}_sum`, `${name}_count`]
      : type === 'summary'
        ? [name as string, `${name}_sum`, `${name}_count`]
        : [name as string],
  );
}

const dashboards = readdirSync(GRAFANA)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(GRAFANA, file), 'utf8')) as Dashboard }));
const rules = ['celeriac-recording.yml', 'celeriac-alerts.yml'].flatMap((file) =>
  readRuleFile(readFileSync(join(PROMETHEUS, file), 'utf8')).map((rule) => ({ file, ...rule })),
);

let stack: MonitoringStack;
/** Metric names per service, scraped from the running services. */
const exported = new Map<string, Set<string>>();
let gatewayUrl = '';

// The three services run as deployed on real Kafka and PostgreSQL, and their /metrics pages are
// the reference: a metric a rule or a panel names must be on one of them.
beforeAll(async () => {
  stack = await startMonitoringStack();
  gatewayUrl = `http://${stack.metricsTargets.gateway}`;
  for (const [name, target] of Object.entries(stack.metricsTargets)) {
    const response = await fetch(`http://${target}/metrics`);
    expect(response.status).toBe(200);
    exported.set(name, new Set(exportedNames(await response.text())));
  }
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** Names a query reads that no running service exports (recorded series allowed where given). */
function unknownNames(expr: string, alsoKnown: ReadonlySet<string> = new Set()): string[] {
  return promqlMetricNames(expr).filter(
    (name) =>
      !PROMETHEUS_OWN.includes(name) &&
      !alsoKnown.has(name) &&
      ![...exported.values()].some((names) => names.has(name)),
  );
}

describe('metric names of the rules and dashboards', () => {
  it('scraped each running service', () => {
    expect([...exported.keys()]).toEqual(['collector', 'projector', 'gateway']);
    for (const [service, names] of exported)
      expect({ service, count: names.size > 5 }).toMatchObject({ count: true });
  });

  it('every metric an alert or recording rule reads is exported by a service or recorded by a rule', () => {
    expect(rules.length).toBeGreaterThan(20);
    const recorded = new Set(rules.filter((rule) => rule.kind === 'record').map((rule) => rule.name));
    const unknown = rules
      .map((rule) => ({ rule: `${rule.file} ${rule.name}`, names: unknownNames(rule.expr, recorded) }))
      .filter((entry) => entry.names.length > 0);
    expect(unknown).toEqual([]);
  });

  it('every PromQL query of the dashboards reads metrics a service exports', () => {
    const queries = dashboards.flatMap(({ dashboard }) => dashboardQueries(dashboard));
    const promql = queries.filter((query) => query.language === 'promql');
    expect(promql.length).toBeGreaterThan(20);
    const unknown = promql
      .map((query) => ({ where: query.where, names: unknownNames(query.text) }))
      .filter((entry) => entry.names.length > 0);
    expect(unknown).toEqual([]);
  });
});

describe('route labels of the rules and dashboards', () => {
  it('every route a rule or a panel names is a route label the gateway records', async () => {
    const exprs = [
      ...rules.map((rule) => rule.expr),
      ...dashboards
        .flatMap(({ dashboard }) => dashboardQueries(dashboard))
        .filter((query) => query.language === 'promql')
        .map((query) => query.text),
    ];
    const routes = new Set(
      exprs.flatMap((expr) =>
        [...expr.matchAll(/\broute\s*(?:=~|!~|!=|=)\s*"([^"]*)"/g)].flatMap((m) => (m[1] ?? '').split('|')),
      ),
    );
    expect(routes.size).toBeGreaterThanOrEqual(3);
    // One request per route pattern (any answer will do: the label is the matched pattern).
    for (const route of routes) {
      const response = await fetch(`${gatewayUrl}${route.replace(/:\w+/g, 'x')}`, {
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
    }
    const page = await (await fetch(`${gatewayUrl}/metrics`)).text();
    const recorded = new Set(
      [...page.matchAll(/^celeriac_gateway_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm)].map(
        (m) => m[1],
      ),
    );
    expect([...routes].filter((route) => !recorded.has(route))).toEqual([]);
  });
});

describe('Grafana dashboards and provisioning in infra/grafana', () => {
  it('plans every SQL query against the migrated schema (relations and columns exist)', async () => {
    const queries = dashboards
      .flatMap(({ dashboard }) => dashboardQueries(dashboard))
      .filter((query) => query.language === 'sql');
    expect(queries.length).toBeGreaterThan(20);
    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const range = { from: new Date(Date.now() - 6 * 3_600_000), to: new Date() };
      const failed: { where: string; error: string }[] = [];
      for (const query of queries) {
        const sql = expandGrafanaSql(query.text, range, randomUUID());
        await client.query(`EXPLAIN ${sql}`).catch((error: Error) => {
          failed.push({ where: query.where, error: error.message });
        });
      }
      expect(failed).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('asks only for data sources the provisioning defines, under unique dashboard uids', () => {
    const provisioned = readFileSync(join(GRAFANA, 'provisioning/datasources/celeriac.yaml'), 'utf8');
    const types = new Set([...provisioned.matchAll(/^\s+type: (\S+)$/gm)].map((m) => m[1]));
    expect([...types].sort()).toEqual(['grafana-postgresql-datasource', 'prometheus']);
    for (const { file, dashboard } of dashboards) {
      const wanted = dataSourceTypes(dashboard);
      expect({ file, missing: wanted.filter((type) => !types.has(type)) }).toEqual({ file, missing: [] });
    }
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(dashboards.map(({ file }) => file).sort()).toEqual([
      'celeriac-health.json',
      'celeriac-queues.json',
      'celeriac-tasks.json',
      'celeriac-workers.json',
    ]);
  });
});
