import { hasEnded } from '@celeriac/celery-domain/celery-states';
import { KNOWN_SUBJECTS } from '@celeriac/celery-domain/task-resolver';
import { useCallback, useState } from 'react';
import { apiUrl } from '../api/client';
import type { Task, TaskEvent } from '../api/types';
import { useApi } from '../api/use-api';
import { CopyButton } from '../components/copy-button';
import { ErrorNote } from '../components/notes';
import { StateBadge } from '../components/state-badge';
import { formatSeconds, formatTime } from '../format';
import { useTaskSocket } from '../live/use-task-socket';
import { Link } from '../router';
import type { PageProps } from './page-props';
import { TaskCommands } from './task-commands';
import { TaskTimeline } from './task-timeline';
import { WorkflowTree } from './workflow-tree';

export function TaskDetailPage({ connectionId, params }: PageProps) {
  const taskId = params.taskId as string;
  const [version, setVersion] = useState(0);
  const id = encodeURIComponent(taskId);
  const task = useApi<Task>(apiUrl(`/api/v1/tasks/${id}`, { connectionId, v: version }));
  const events = useApi<{ items: TaskEvent[] }>(
    apiUrl(`/api/v1/tasks/${id}/events`, { connectionId, limit: 1000, v: version }),
  );
  const running = task.data ? !hasEnded(task.data.state) : false;
  const refresh = useCallback(() => setVersion((value) => value + 1), []);
  const socket = useTaskSocket(connectionId, taskId, running, (frame) => {
    // A final event changes fields the frame does not carry (result, traceback, runtime): reload them.
    if (/^task-(succeeded|failed|revoked|rejected|retried)$/.test(frame.type)) refresh();
  });
  const base = `/c/${encodeURIComponent(connectionId)}/tasks/`;
  const data = task.data;
  const linkTo = (other: string | null) =>
    other && other !== taskId ? (
      <Link to={base + encodeURIComponent(other)} className="mono">
        {other}
      </Link>
    ) : (
      '—'
    );

  return (
    <>
      <div className="page-head">
        <h1 className="clip">{data?.name ?? 'Task'}</h1>
        {data && <StateBadge state={data.state} />}
        <span className="mono muted small">{taskId}</span>
      </div>
      <ErrorNote error={task.error} />
      {data && (
        <div className="grid-2">
          <section className="card" aria-label="Fields">
            <h2>Fields</h2>
            <dl className="fields">
              <dt>Worker</dt>
              <dd>{data.worker ?? '—'}</dd>
              <dt>Runtime</dt>
              <dd>{formatSeconds(data.runtime)}</dd>
              <dt>Retries</dt>
              <dd>{data.retries ?? '—'}</dd>
              {KNOWN_SUBJECTS.map((field) =>
                data[field] === null ? null : (
                  <div key={field} className="pair">
                    <dt>{field}</dt>
                    <dd>{formatTime(data[field])}</dd>
                  </div>
                ),
              )}
              <dt>ETA / expires</dt>
              <dd>
                {data.eta ?? '—'} / {data.expires ?? '—'}
              </dd>
              <dt>Routing</dt>
              <dd className="mono">
                {data.exchange ?? '—'} / {data.routing_key ?? '—'}
              </dd>
              <dt>Parent</dt>
              <dd>{linkTo(data.parent_id)}</dd>
              <dt>Root</dt>
              <dd>{linkTo(data.root_id)}</dd>
              {data.rerunOf && (
                <>
                  <dt>Re-run of</dt>
                  <dd>{linkTo(data.rerunOf)}</dd>
                </>
              )}
              <dt>Children</dt>
              <dd>
                {data.children.length
                  ? data.children.map((child) => <div key={child}>{linkTo(child)}</div>)
                  : '—'}
              </dd>
              <dt>Client</dt>
              <dd>{data.client ?? '—'}</dd>
            </dl>
            <h3>args</h3>
            <pre className="code">{data.args ?? '—'}</pre>
            <h3>kwargs</h3>
            <pre className="code">{data.kwargs ?? '—'}</pre>
            <h3>result</h3>
            <pre className="code">{data.result ?? '—'}</pre>
          </section>
          <div className="stack">
            {data.exception && (
              <section className="card" aria-label="Exception">
                <h2>Exception</h2>
                <pre className="code error-text">{data.exception}</pre>
                {data.traceback && (
                  <>
                    <div className="row">
                      <h3>Traceback</h3>
                      <CopyButton text={data.traceback} label="Copy traceback" />
                    </div>
                    <pre className="code traceback">{data.traceback}</pre>
                  </>
                )}
              </section>
            )}
            <TaskCommands connectionId={connectionId} task={data} onChange={refresh} />
            <TaskTimeline
              stored={events.data?.items ?? []}
              frames={socket.frames}
              live={running && socket.open}
            />
            <WorkflowTree connectionId={connectionId} taskId={taskId} version={version} />
          </div>
        </div>
      )}
    </>
  );
}
