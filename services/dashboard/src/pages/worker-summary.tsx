import { formatSeconds, number } from '../format';

type Info = Record<string, unknown>;

const field = (value: unknown, key: string): unknown =>
  value && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Info)[key] : undefined;

/** The figures of Celery's `inspect stats` reply people look for first; the whole reply stays one click away. */
export function WorkerSummary({ stats }: { stats: Info }) {
  const pool = field(stats, 'pool');
  const processes = field(pool, 'processes');
  const totals = field(stats, 'total');
  const processed =
    totals && typeof totals === 'object'
      ? Object.values(totals as Info).reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), 0)
      : null;
  const rows: [string, string][] = [
    ['pid', String(field(stats, 'pid') ?? '—')],
    ['pool', String(field(pool, 'implementation') ?? '—').replace(/^celery\.concurrency\./, '')],
    ['max concurrency', String(field(pool, 'max-concurrency') ?? '—')],
    ['processes', Array.isArray(processes) ? String(processes.length) : '—'],
    ['prefetch count', String(field(stats, 'prefetch_count') ?? '—')],
    ['uptime', formatSeconds(field(stats, 'uptime') as number | undefined)],
    ['broker', String(field(field(stats, 'broker'), 'transport') ?? '—')],
    ['tasks processed', processed === null ? '—' : number.format(processed)],
  ];
  return (
    <dl className="fields">
      {rows.map(([label, value]) => (
        <div key={label} className="pair">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
