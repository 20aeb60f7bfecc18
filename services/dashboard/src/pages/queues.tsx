import { apiUrl } from '../api/client';
import type { Queue, QueueHistory } from '../api/types';
import { useApi } from '../api/use-api';
import { LineChart } from '../components/line-chart';
import { ErrorNote } from '../components/notes';
import { RangePicker, readRange } from '../components/range-picker';
import { formatIso, number } from '../format';
import { useQueryUpdate, useRouter } from '../router';
import type { PageProps } from './page-props';

export function QueuesPage({ connectionId }: PageProps) {
  const { location } = useRouter();
  const update = useQueryUpdate();
  const range = readRange(location.query.get('range'));
  const now = useApi<{ items: Queue[] }>(apiUrl('/api/v1/queues', { connectionId }), 10_000);
  const history = useApi<QueueHistory>(apiUrl('/api/v1/queues/history', { connectionId, range }), 30_000);

  return (
    <>
      <div className="page-head">
        <h1>Queues</h1>
        <RangePicker value={range} onChange={(next) => update({ range: next })} />
      </div>
      <ErrorNote error={now.error ?? history.error} />
      {now.data && now.data.items.length === 0 && (
        <p className="muted">
          No queue sampled yet: the collector reports queue depths once it follows the broker.
        </p>
      )}
      {now.data && now.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Messages</th>
              <th scope="col">Consumers</th>
              <th scope="col">Sampled</th>
            </tr>
          </thead>
          <tbody>
            {now.data.items.map((queue) => (
              <tr key={queue.name}>
                <td>{queue.name}</td>
                <td>{number.format(queue.messages)}</td>
                <td>{queue.consumers}</td>
                <td>{formatIso(queue.sampledAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="grid-2">
        {history.data?.series.map((series) => (
          <LineChart
            key={series.queue}
            title={`${series.queue}`}
            times={series.points.map((point) => point.t)}
            series={[
              { label: 'messages', tone: 'tone-info', values: series.points.map((point) => point.messages) },
              { label: 'consumers', tone: 'tone-ok', values: series.points.map((point) => point.consumers) },
            ]}
          />
        ))}
      </div>
    </>
  );
}
