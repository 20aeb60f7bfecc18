const POSTGRES = 'grafana-postgresql-datasource';
const PROMETHEUS = 'prometheus';

interface DataSourceRef {
  type?: string;
}
interface Target {
  refId?: string;
  datasource?: DataSourceRef;
  rawSql?: string;
  expr?: string;
}
interface Panel {
  title: string;
  type: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string;
  datasource?: DataSourceRef;
}
export interface Dashboard {
  uid: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}

export interface DashboardQuery {
  where: string;
  language: 'sql' | 'promql';
  text: string;
}

function query(where: string, source: DataSourceRef | undefined, target: Target): DashboardQuery {
  if (source?.type === POSTGRES && target.rawSql) return { where, language: 'sql', text: target.rawSql };
  if (source?.type === PROMETHEUS && target.expr) return { where, language: 'promql', text: target.expr };
  // A query of any other shape would escape the checks, so it is an error rather than skipped.
  throw new Error(`${where}: no rawSql on PostgreSQL or expr on Prometheus (data source ${source?.type})`);
}

/** Every query of a dashboard (panel targets, rows' nested panels, query variables) with its language. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const fromPanels = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) =>
      query(
        `${dashboard.uid} panel "${panel.title}" ${target.refId ?? ''}`,
        target.datasource ?? panel.datasource,
        target,
      ),
    ),
  );
  const fromVariables = (dashboard.templating?.list ?? [])
    .filter((variable) => variable.type === 'query')
    .map((variable) =>
      query(`${dashboard.uid} variable $${variable.name}`, variable.datasource, {
        rawSql: variable.query,
        expr: variable.query,
      }),
    );
  return [...fromPanels, ...fromVariables];
}

/** The data-source types a dashboard's datasource variables ask for. */
export function dataSourceTypes(dashboard: Dashboard): string[] {
  return (dashboard.templating?.list ?? [])
    .filter((variable) => variable.type === 'datasource')
    .map((variable) => variable.query ?? '');
}

/**
 * The SQL Grafana's PostgreSQL data source would send for a time range and a `connection`
 * variable: the macros and variables the dashboards use, expanded as Grafana expands them.
 */
export function expandGrafanaSql(sql: string, range: { from: Date; to: Date }, connection: string): string {
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
    .replace(/\$\{connection\}|\$connection\b/g, connection);
  if (expanded.includes('$')) throw new Error(`unexpanded Grafana macro or variable in: ${expanded}`);
  return expanded;
}
