import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { apiUrl } from '../api/client';
import type { TaskPage } from '../api/types';
import { useApi } from '../api/use-api';
import { ErrorNote, NoEventsYet } from '../components/notes';
import { type JobChange, type LiveFilter, mergeChanges } from '../live/merge-changes';
import { useJobStream } from '../live/use-job-stream';
import { useQueryUpdate, useRouter } from '../router';
import type { PageProps } from './page-props';
import { TaskFilters } from './task-filters';
import { apiSort, TasksTable } from './tasks-table';

const PAGE_SIZE = 100;
/** Rows kept while live updates prepend new tasks: the DOM stays small at any event rate. */
const MAX_ROWS = 500;

export function TasksPage({ connectionId }: PageProps) {
  const { location, navigate } = useRouter();
  const update = useQueryUpdate();
  const q = location.query;
  const cursor = q.get('cursor') ?? undefined;
  const sort = apiSort(q.get('sort'), q.get('dir'));
  const url = apiUrl('/api/v1/tasks', {
    connectionId,
    limit: PAGE_SIZE,
    cursor,
    sort,
    state: q.get('state') ?? undefined,
    queue: q.get('queue') ?? undefined,
    taskname: q.get('name') ?? undefined,
    workername: q.get('worker') ?? undefined,
    received_start: q.get('from') ?? undefined,
    received_end: q.get('to') ?? undefined,
    search: q.get('search') ?? undefined,
  });
  const page = useApi<TaskPage>(url);
  const [rows, setRows] = useState(page.data?.items ?? []);
  const [paused, setPaused] = useState(false);
  const measuring = useRef(false);

  useEffect(() => {
    if (page.data) setRows(page.data.items);
  }, [page.data]);

  const filter = useMemo<LiveFilter>(
    () => ({
      state: q.get('state') ?? undefined,
      name: q.get('name') ?? undefined,
      worker: q.get('worker') ?? undefined,
      // Stream changes carry no queue, and a sorted view has no place for a new task at the top.
      frozen: Boolean(cursor || sort || q.get('queue') || q.get('search') || q.get('from') || q.get('to')),
    }),
    [q, cursor, sort],
  );
  const onBatch = useCallback(
    (changes: JobChange[]) => {
      measuring.current = true;
      setRows((current) => mergeChanges(current, changes, filter, MAX_ROWS));
    },
    [filter],
  );
  const status = useJobStream(connectionId, paused, onBatch, page.reload);

  // Render time of one live batch, for a PerformanceObserver (the dashboard bench). The entries are
  // cleared at once: the browser's performance buffer would otherwise grow with every frame.
  useLayoutEffect(() => {
    if (!measuring.current) return;
    measuring.current = false;
    performance.measure('celeriac:batch', 'celeriac:batch-start');
    performance.clearMarks('celeriac:batch-start');
    performance.clearMeasures('celeriac:batch');
  });

  const togglePause = () => {
    if (paused) page.reload();
    setPaused(!paused);
  };
  const unfiltered = !filter.frozen && !filter.state && !filter.name && !filter.worker;

  return (
    <>
      <div className="page-head">
        <h1>Tasks</h1>
        <span className={`live live-${status}`} role="status">
          {status === 'live' ? '● live' : status}
        </span>
        <button type="button" onClick={togglePause} aria-pressed={paused}>
          {paused ? '▶ Resume live updates' : '❚❚ Pause live updates'}
        </button>
      </div>
      <TaskFilters connectionId={connectionId} />
      <ErrorNote error={page.error} />
      {page.data && rows.length === 0 && unfiltered && <NoEventsYet what="tasks" />}
      {page.data && rows.length === 0 && !unfiltered && (
        <p className="muted">No task matches these filters.</p>
      )}
      {rows.length > 0 && (
        <TasksTable connectionId={connectionId} rows={rows} sort={q.get('sort')} dir={q.get('dir')} />
      )}
      <nav className="pager" aria-label="Pages">
        {cursor && (
          <button type="button" onClick={() => update({ cursor: undefined })}>
            ⇤ First page
          </button>
        )}
        {page.data?.nextCursor && (
          <button
            type="button"
            onClick={() => {
              const next = new URLSearchParams(q);
              next.set('cursor', page.data?.nextCursor ?? '');
              navigate(`${location.path}?${next}`);
            }}
          >
            Next page →
          </button>
        )}
      </nav>
    </>
  );
}
