import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { REPO_ROOT, readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedOffset, createLogIo } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';
import { syntheticEvents } from '../test-support/synthetic-events';

const stack = readStackEnv();
const CONNECTION = randomUUID();
const DASHBOARD = `${REPO_ROOT}infra/grafana/celeriac-tasks.json`;

interface Target {
  rawSql?: string;
}
interface Panel {
  title: string;
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string }[] };
}

/** Every SQL text of the dashboard: panel targets and query variables. */
function dashboardQueries(dashboard: Dashboard): { where: string; sql: string }[] {
  const panels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => t.rawSql)
      .map((t) => ({ where: `panel "${panel.title}"`, sql: t.rawSql as string })),
  );
  const variables = dashboard.templating.list
    .filter((v) => v.type === 'query' && v.query)
    .map((v) => ({ where: `variable $${v.name}`, sql: v.query as string }));
  return [...panels, ...variables];
}

/** What Grafana's PostgreSQL data source does to the macros and variables the dashboard uses. */
function expand(sql: string, range: { from: Date; to: Date }): string {
  const expanded = sql
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_m, column: string) =>
        `${column} BETWEEN '${range.from.toISOString()}' AND '${range.to.toISOString()}'`,
    )
    .replace(
      /\$__unixEpochFilter\(([^)]+)\)/g,
      (_m, column: string) =>
        `${column} >= ${range.from.getTime() / 1000} AND ${column} <= ${range.to.getTime() / 1000}`,
    )
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, replaced here
    .replaceAll('${connection}', CONNECTION);
  if (expanded.includes('$')) throw new Error(`unexpanded Grafana macro or variable in: ${expanded}`);
  return expanded;
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;

beforeAll(async () => {
  [database, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'], 1)]);
  const io = createLogIo(stack.kafkaBrokers);
  await io.connect();
  const topic = topics.topics.events as string;
  try {
    await io.produce(topic, [
      ...syntheticEvents({
        connectionId: CONNECTION,
        tasks: 3000,
        startMs: Date.now() - 2 * 3_600_000,
        tasksPerSecond: 2,
      }),
    ]);
    const end = await io.endOffset(topic);
    const projector = await startProjector({
      databaseUrl: database.url,
      brokers: stack.kafkaBrokers,
      topic,
      group: 'dashboard',
    });
    try {
      await waitFor(
        'projector to apply the log',
        async () => (await appliedOffset(database.url, 'dashboard', topic)) >= end,
        { timeoutMs: 90_000 },
      );
    } finally {
      await projector.stop();
    }
  } finally {
    await io.close();
  }
}, 180_000);

afterAll(async () => {
  await topics?.remove();
  await database?.drop();
});

describe('Grafana dashboard infra/grafana/celeriac-tasks.json', () => {
  it('runs every SQL query of the dashboard against real projected data, each returning rows', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const range = { from: new Date(Date.now() - 6 * 3_600_000), to: new Date() };
      for (const { where, sql } of queries) {
        const result = await client.query(expand(sql, range)).catch((error: Error) => {
          throw new Error(`${where} failed: ${error.message}`);
        });
        expect({ where, hasRows: result.rows.length > 0 }).toEqual({ where, hasRows: true });
      }
    } finally {
      await client.end();
    }
  });

  it('documents every BI view with a comment', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } =
        await client.query(`SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'celeriac' AND c.relkind = 'v' AND c.relname LIKE 'bi_%'`);
      expect(rows.map((r) => r.relname).sort()).toEqual([
        'bi_queue_depth',
        'bi_queue_wait_per_minute',
        'bi_task_finished',
        'bi_task_outcome_rates',
        'bi_task_queue_wait',
        'bi_task_runtime_percentiles',
        'bi_task_throughput_per_minute',
        'bi_worker_uptime',
      ]);
      for (const row of rows) expect(row.comment, row.relname).toBeTruthy();
    } finally {
      await client.end();
    }
  });
});
