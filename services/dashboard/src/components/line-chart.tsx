export interface Series {
  label: string;
  /** A CSS class giving the stroke colour, so both themes pick their own palette. */
  tone: string;
  values: number[];
}

interface Props {
  title: string;
  times: string[];
  series: Series[];
  height?: number;
}

// Drawn in a wide box so the text keeps about its CSS size when the chart fills a laptop screen.
const WIDTH = 1200;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= value) ?? 10;
  return step * magnitude;
}

function shortTime(iso: string, spanMs: number): string {
  const date = new Date(iso);
  return spanMs > 2 * 86_400_000
    ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** A multi-series line chart in plain SVG: a chart library would weigh more than the whole app. */
export function LineChart({ title, times, series, height = 220 }: Props) {
  const max = niceMax(Math.max(0, ...series.flatMap((one) => one.values)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (times.length > 1 ? (i / (times.length - 1)) * plotW : plotW / 2);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const first = times[0];
  const last = times[times.length - 1];
  const spanMs = first && last ? Date.parse(last) - Date.parse(first) : 0;
  const totals = series.map((one) => `${one.label} ${one.values.reduce((a, b) => a + b, 0)}`).join(', ');

  return (
    <figure className="chart">
      <figcaption>
        {title}
        <span className="legend">
          {series.map((one) => (
            <span key={one.label} className={`legend-item ${one.tone}`}>
              {one.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`${title}: ${totals}`}>
        {[0, 0.5, 1].map((fraction) => (
          <g key={fraction} className="grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * fraction)} y2={y(max * fraction)} />
            <text x={PAD.left - 4} y={y(max * fraction) + 4} textAnchor="end">
              {max * fraction}
            </text>
          </g>
        ))}
        {first && (
          <text className="axis" x={PAD.left} y={height - 4}>
            {shortTime(first, spanMs)}
          </text>
        )}
        {last && times.length > 1 && (
          <text className="axis" x={WIDTH - PAD.right} y={height - 4} textAnchor="end">
            {shortTime(last, spanMs)}
          </text>
        )}
        {series.map((one) => (
          <polyline
            key={one.label}
            className={`line ${one.tone}`}
            points={one.values.map((value, i) => `${x(i).toFixed(1)},${y(value).toFixed(1)}`).join(' ')}
          />
        ))}
      </svg>
      {times.length === 0 && <p className="muted">No data in this range.</p>}
    </figure>
  );
}
