import { useState } from 'react';
import { apiUrl } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorNote } from '../components/notes';
import { Link } from '../router';
import { useSession } from '../session';
import type { PageProps } from './page-props';
import { WorkerControls } from './worker-controls';
import { WorkerLimits } from './worker-limits';
import { WorkerSummary } from './worker-summary';

type Info = Record<string, unknown>;
interface TaskRequest {
  id?: string;
  name?: string;
  args?: unknown;
  time_start?: number;
  request?: { id?: string; name?: string };
  eta?: string;
}

function TaskList({ title, items, base }: { title: string; items: unknown; base: string }) {
  const list = Array.isArray(items) ? (items as TaskRequest[]) : [];
  return (
    <section className="card" aria-label={title}>
      <h2>
        {title} ({list.length})
      </h2>
      <ul className="plain">
        {list.slice(0, 200).map((item, i) => {
          const id = item.id ?? item.request?.id;
          const name = item.name ?? item.request?.name;
          return (
            <li key={id ?? i}>
              {id ? <Link to={base + encodeURIComponent(id)}>{name ?? id}</Link> : name}
              {item.eta && <span className="muted"> eta {item.eta}</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function WorkerDetailPage({ connectionId, params }: PageProps) {
  const worker = params.worker as string;
  const { can } = useSession();
  const [refresh, setRefresh] = useState(0);
  // refresh=1 asks the workers (Flower's inspect); the stored answer shows meanwhile on the first load.
  const url = apiUrl('/api/workers', {
    connectionId,
    workername: worker,
    refresh: refresh ? 1 : undefined,
    r: refresh || undefined,
  });
  const { data, error, loading } = useApi<Record<string, Info>>(url);
  const info = data && Object.hasOwn(data, worker) ? data[worker] : undefined;
  const stats = (info?.stats ?? {}) as Info;
  const registered = Array.isArray(info?.registered) ? (info.registered as string[]) : [];
  const queues = Array.isArray(info?.active_queues) ? (info.active_queues as { name?: string }[]) : [];
  const tasks = `/c/${encodeURIComponent(connectionId)}/tasks/`;

  return (
    <>
      <div className="page-head">
        <h1 className="clip">{worker}</h1>
        <button type="button" onClick={() => setRefresh((value) => value + 1)} disabled={loading}>
          {loading ? 'Asking the worker…' : 'Refresh from worker'}
        </button>
      </div>
      <ErrorNote error={error} />
      {can('command') && (
        <WorkerControls connectionId={connectionId} worker={worker} onDone={() => setRefresh((v) => v + 1)} />
      )}
      <div className="grid-2">
        <section className="card" aria-label="Stats">
          <h2>Stats</h2>
          <WorkerSummary stats={stats} />
          <details>
            <summary>Everything the worker reported</summary>
            <pre className="code">{JSON.stringify(stats, null, 2)}</pre>
          </details>
        </section>
        <div className="stack">
          <section className="card" aria-label="Active queues">
            <h2>Active queues</h2>
            <ul className="plain">
              {queues.map((queue) => (
                <li key={queue.name}>{queue.name}</li>
              ))}
            </ul>
          </section>
          <section className="card" aria-label="Registered tasks">
            <h2>Registered tasks ({registered.length})</h2>
            <ul className="plain mono small">
              {registered.map((name) => (
                <li key={name}>{name}</li>
              ))}
            </ul>
          </section>
          <TaskList title="Active" items={info?.active} base={tasks} />
          <TaskList title="Reserved" items={info?.reserved} base={tasks} />
          <TaskList title="Scheduled" items={info?.scheduled} base={tasks} />
          {can('command') && (
            <WorkerLimits
              connectionId={connectionId}
              worker={worker}
              taskNames={registered.map((n) => n.split(' ')[0] ?? n)}
            />
          )}
        </div>
      </div>
    </>
  );
}
