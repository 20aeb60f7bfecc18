import { apiUrl } from '../api/client';
import type { Overview } from '../api/types';
import { useApi } from '../api/use-api';
import { LineChart } from '../components/line-chart';
import { ErrorNote, NoEventsYet, Stat } from '../components/notes';
import { RangePicker, readRange } from '../components/range-picker';
import { formatIso, formatPercent, formatSeconds, number } from '../format';
import { Link, useQueryUpdate, useRouter } from '../router';
import type { PageProps } from './page-props';

function bucketLabel(seconds: number): string {
  if (seconds >= 86_400) return `${seconds / 86_400} d`;
  if (seconds >= 3600) return `${seconds / 3600} h`;
  return seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`;
}

export function OverviewPage({ connectionId }: PageProps) {
  const { location } = useRouter();
  const update = useQueryUpdate();
  const range = readRange(location.query.get('range'));
  const { data, error } = useApi<Overview>(apiUrl('/api/v1/overview', { connectionId, range }), 15_000);
  const tasksUrl = (query: Record<string, string>) =>
    apiUrl(`/c/${encodeURIComponent(connectionId)}/tasks`, query);
  const empty =
    data &&
    data.workers.online + data.workers.offline === 0 &&
    data.totals.succeeded + data.totals.failed === 0;

  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <RangePicker value={range} onChange={(next) => update({ range: next })} />
      </div>
      <ErrorNote error={error} />
      {empty && <NoEventsYet what="workers or tasks" />}
      {data && (
        <>
          <div className="stats">
            <Stat label="workers online" value={data.workers.online} tone="ok" />
            <Stat
              label="workers offline"
              value={data.workers.offline}
              tone={data.workers.offline ? 'warn' : ''}
            />
            <Stat label="succeeded" value={number.format(data.totals.succeeded)} />
            <Stat
              label="failed"
              value={number.format(data.totals.failed)}
              tone={data.totals.failed ? 'bad' : ''}
            />
            <Stat label="retried" value={number.format(data.totals.retried)} />
            <Stat label="failure rate" value={formatPercent(data.failureRate)} />
          </div>
          <LineChart
            title={`Tasks per ${bucketLabel(data.bucketSeconds)}`}
            times={data.throughput.map((point) => point.t)}
            series={[
              {
                label: 'succeeded',
                tone: 'tone-ok',
                values: data.throughput.map((point) => point.succeeded),
              },
              { label: 'failed', tone: 'tone-bad', values: data.throughput.map((point) => point.failed) },
              { label: 'retried', tone: 'tone-warn', values: data.throughput.map((point) => point.retried) },
            ]}
          />
          <div className="grid-2">
            <section className="card">
              <h2>Slowest tasks</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Runs</th>
                    <th scope="col">p50</th>
                    <th scope="col">p95</th>
                  </tr>
                </thead>
                <tbody>
                  {data.slowest.map((row) => (
                    <tr key={row.name}>
                      <td>
                        <Link to={tasksUrl({ name: row.name })}>{row.name}</Link>
                      </td>
                      <td>{number.format(row.count)}</td>
                      <td>{formatSeconds(row.p50Runtime)}</td>
                      <td>{formatSeconds(row.p95Runtime)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card">
              <h2>Most failing</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Of</th>
                  </tr>
                </thead>
                <tbody>
                  {data.mostFailing.map((row) => (
                    <tr key={row.name}>
                      <td>
                        <Link to={tasksUrl({ name: row.name, state: 'FAILURE' })}>{row.name}</Link>
                      </td>
                      <td>{number.format(row.failed)}</td>
                      <td>{number.format(row.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card">
              <h2>Top exceptions</h2>
              <ul className="plain">
                {data.topExceptions.map((row) => (
                  <li key={row.exception}>
                    <code className="clip">{row.exception}</code>{' '}
                    <span className="muted">
                      ×{number.format(row.count)}, last {formatIso(row.lastSeen)}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="card">
              <h2>Queues</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Queue</th>
                    <th scope="col">Messages</th>
                    <th scope="col">Consumers</th>
                  </tr>
                </thead>
                <tbody>
                  {data.queues.map((queue) => (
                    <tr key={queue.name}>
                      <td>{queue.name}</td>
                      <td>{number.format(queue.messages)}</td>
                      <td>{queue.consumers}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </>
  );
}
