import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';
import pg from 'pg';

interface Dashboard {
  panels: { title: string; targets?: { rawSql?: string }[] }[];
}

/**
 * Query times of the dashboard's BI queries over a bulk-loaded history: `tasks` tasks spread over
 * 24 h on one connection (generate_series, realistic mix of names, outcomes, runtimes, waits),
 * queue samples every 5 s. Each query runs with Grafana's macros expanded for a 6 h and a 24 h range.
 */
export async function benchBiQueries(options: { tasks: number; runs: number }) {
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const connection = randomUUID();
  const endS = Math.floor(Date.now() / 1000);
  const startS = endS - 86_400;
  try {
    const loadStarted = performance.now();
    await client.query(
      `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, sent, received, started, succeeded, failed, "timestamp", runtime,
         worker, client, args, kwargs, result, exception, retries, queue, exchange, routing_key, root_id, last_ts, last_event_at)
       SELECT $1, 'bench-' || g, (ARRAY['tasks.add','tasks.echo','tasks.resize_image','tasks.send_email','tasks.error','tasks.report'])[1 + g % 6],
         CASE WHEN g % 6 = 4 OR g % 37 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END,
         t, t + w, t + w + 0.001, CASE WHEN g % 6 = 4 OR g % 37 = 0 THEN NULL ELSE t + w + 0.001 + r END,
         CASE WHEN g % 6 = 4 OR g % 37 = 0 THEN t + w + 0.001 + r END, t + w + 0.001 + r, CASE WHEN g % 6 = 4 OR g % 37 = 0 THEN NULL ELSE r END,
         'celery@worker-' || (g % 4), 'gen77@client', '(' || g || ', 2)', '{}', g::text, NULL, 0, 'celery', '', 'celery', 'bench-' || g,
         t + w + 0.001 + r, to_timestamp(t + w + 0.001 + r)
       FROM (SELECT g, $2::float8 + g * (86400.0 / $3) AS t, 0.002 + (g % 97) / 1000.0 AS w, 0.001 + (g % 501) / 1000.0 AS r
             FROM generate_series(1, $3::int) g) s`,
      [connection, startS, options.tasks],
    );
    await client.query(
      `INSERT INTO celeriac.queue_samples (connection_id, name, sampled_at, messages, consumers)
       SELECT $1, q, to_timestamp($2::float8 + s * 5), (s * 7919) % 500, 4 FROM generate_series(0, 17279) s, unnest(ARRAY['celery', 'priority']) q`,
      [connection, startS],
    );
    await client.query(
      `INSERT INTO celeriac.workers (connection_id, hostname, freq, active, processed, sw_ver, online, first_seen_at, last_heartbeat, last_heartbeat_at, inspect)
       SELECT $1, 'celery@worker-' || w, 2, 1, 250000, '5.5.3', true, to_timestamp($2), $3, to_timestamp($3), '{"stats": {"uptime": 86400}}'
       FROM generate_series(0, 3) w`,
      [connection, startS, endS],
    );
    await client.query(
      'INSERT INTO celeriac.task_types (connection_id, name, first_seen_at) SELECT DISTINCT $1::uuid, name, to_timestamp($2) FROM celeriac.tasks',
      [connection, startS],
    );
    await client.query('VACUUM ANALYZE');
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    const dashboard = JSON.parse(
      readFileSync(`${REPO_ROOT}infra/grafana/celeriac-tasks.json`, 'utf8'),
    ) as Dashboard;
    const results: { panel: string; range: string; medianMs: number; maxMs: number; rows: number }[] = [];
    for (const [range, seconds] of [
      ['6 h', 6 * 3600],
      ['24 h', 86_400],
    ] as const) {
      const from = new Date((endS - seconds) * 1000).toISOString();
      const to = new Date(endS * 1000).toISOString();
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          if (!target.rawSql) continue;
          const sql = target.rawSql
            .replace(
              /\$__timeFilter\(([^)]+)\)/g,
              (_m, column: string) => `${column} BETWEEN '${from}' AND '${to}'`,
            )
            .replace(
              /\$__unixEpochFilter\(([^)]+)\)/g,
              (_m, column: string) => `${column} >= ${endS - seconds} AND ${column} <= ${endS}`,
            )
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, replaced here
            .replaceAll('${connection}', connection);
          const times: number[] = [];
          let rows = 0;
          for (let run = 0; run < options.runs; run += 1) {
            const began = performance.now();
            rows = (await client.query(sql)).rows.length;
            times.push(performance.now() - began);
          }
          times.sort((a, b) => a - b);
          results.push({
            panel: panel.title,
            range,
            medianMs: times[Math.floor(times.length / 2)] as number,
            maxMs: times.at(-1) as number,
            rows,
          });
        }
      }
    }
    return { tasks: options.tasks, loadSeconds, results };
  } finally {
    await client.end();
    await database.drop();
  }
}
