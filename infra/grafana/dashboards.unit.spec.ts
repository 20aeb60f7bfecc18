import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Ref {
  type?: string;
  uid?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: Ref;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { datasource?: Ref }[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string; datasource?: Ref }[] };
}

/** Panel types of Grafana 10/11 core that the dashboards may use. */
const PANEL_TYPES = new Set(['row', 'timeseries', 'table', 'stat', 'piechart', 'state-timeline', 'bargauge']);

const dashboards = readdirSync(import.meta.dirname)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({
    file,
    dashboard: JSON.parse(readFileSync(join(import.meta.dirname, file), 'utf8')) as Dashboard,
  }));

/** Panels whose rectangles overlap on the 24-column grid. */
function overlaps(panels: Panel[]): string[] {
  const found: string[] = [];
  panels.forEach((a, i) => {
    for (const b of panels.slice(i + 1)) {
      const apart =
        a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
        b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
        a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
        b.gridPos.y + b.gridPos.h <= a.gridPos.y;
      if (!apart) found.push(`"${a.title}" and "${b.title}"`);
    }
  });
  return found;
}

describe.each(dashboards)('Grafana dashboard $file', ({ dashboard }) => {
  it('points every data source at a datasource variable of the same type', () => {
    const variables = new Map(
      dashboard.templating.list.filter((v) => v.type === 'datasource').map((v) => [`\${${v.name}}`, v.query]),
    );
    const refs = [
      ...dashboard.panels.flatMap((panel) => [
        panel.datasource,
        ...(panel.targets ?? []).map((t) => t.datasource),
      ]),
      ...dashboard.templating.list.map((v) => v.datasource),
    ].filter((ref): ref is Ref => ref !== undefined);
    expect(refs.length).toBeGreaterThan(0);
    const wrong = refs.filter((ref) => variables.get(ref.uid ?? '') !== ref.type);
    expect(wrong).toEqual([]);
  });

  it('has unique panel ids, known panel types and a layout without overlaps inside 24 columns', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.panels.map((panel) => panel.type).filter((type) => !PANEL_TYPES.has(type))).toEqual([]);
    expect(dashboard.panels.filter((panel) => panel.gridPos.x + panel.gridPos.w > 24)).toEqual([]);
    expect(overlaps(dashboard.panels)).toEqual([]);
  });
});
