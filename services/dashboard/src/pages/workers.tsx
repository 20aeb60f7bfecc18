import { apiUrl } from '../api/client';
import type { Worker } from '../api/types';
import { useApi } from '../api/use-api';
import { ErrorNote, NoEventsYet } from '../components/notes';
import { formatTime, number } from '../format';
import { Link } from '../router';
import type { PageProps } from './page-props';

function poolSize(worker: Worker): string {
  const stats = worker.inspect?.stats as { pool?: { 'max-concurrency'?: number } } | undefined;
  return stats?.pool?.['max-concurrency']?.toString() ?? '—';
}

export function WorkersPage({ connectionId }: PageProps) {
  const { data, error } = useApi<{ items: Worker[] }>(apiUrl('/api/v1/workers', { connectionId }), 10_000);
  const base = `/c/${encodeURIComponent(connectionId)}/workers/`;
  return (
    <>
      <div className="page-head">
        <h1>Workers</h1>
      </div>
      <ErrorNote error={error} />
      {data && data.items.length === 0 && <NoEventsYet what="workers" />}
      {data && data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Status</th>
              <th scope="col">Pool</th>
              <th scope="col">Active</th>
              <th scope="col">Processed</th>
              <th scope="col">Load</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((worker) => (
              <tr key={worker.hostname}>
                <td>
                  <Link to={base + encodeURIComponent(worker.hostname)}>{worker.hostname}</Link>
                </td>
                <td>
                  <span className={`state state-${worker.alive ? 'ok' : 'bad'}`}>
                    {worker.alive ? 'online' : 'offline'}
                  </span>
                </td>
                <td>{poolSize(worker)}</td>
                <td>{worker.active ?? '—'}</td>
                <td>{worker.processed === null ? '—' : number.format(worker.processed)}</td>
                <td>{worker.loadavg?.map((load) => load.toFixed(2)).join(' ') ?? '—'}</td>
                <td>{formatTime(worker.lastHeartbeat)}</td>
                <td>{worker.swVer ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
