import { memo } from 'react';
import type { Task } from '../api/types';
import { StateBadge } from '../components/state-badge';
import { formatSeconds, formatTime } from '../format';
import { Link, useQueryUpdate } from '../router';

/** Orders the server sorts the whole history by (an index each); the table shows them as they come. */
export const SORTABLE = ['received', 'started', 'runtime'] as const;
type SortKey = (typeof SORTABLE)[number];

/** The API's `sort` for the URL's sort and dir, or undefined for the default (newest change first). */
export function apiSort(key: string | null, dir: string | null): string | undefined {
  if (!key || !(SORTABLE as readonly string[]).includes(key)) return undefined;
  return dir === 'asc' ? key : `-${key}`;
}

function SortHeader({
  label,
  column,
  sort,
  dir,
}: {
  label: string;
  column: SortKey;
  sort: string | null;
  dir: string | null;
}) {
  const update = useQueryUpdate();
  const active = sort === column;
  const nextDir = active && dir !== 'asc' ? 'asc' : 'desc';
  return (
    <th scope="col" aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        className="link"
        onClick={() => update({ sort: column, dir: nextDir, cursor: undefined })}
      >
        {label}
        {active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

/**
 * One row, re-rendered only when its task object changes: a live batch replaces the few tasks it touched
 * and keeps the others' identity, so a frame renders the changed rows instead of all 500.
 */
const TaskRow = memo(function TaskRow({ task, base }: { task: Task; base: string }) {
  return (
    <tr data-task-id={task.uuid} data-state={task.state}>
      <td>{task.name ?? '—'}</td>
      <td>
        <Link to={base + encodeURIComponent(task.uuid)} className="mono">
          {task.uuid}
        </Link>
      </td>
      <td>
        <StateBadge state={task.state} />
      </td>
      <td className="mono clip">{task.args ?? ''}</td>
      <td>{formatTime(task.received)}</td>
      <td>{formatTime(task.started)}</td>
      <td>{formatSeconds(task.runtime)}</td>
      <td className="clip">{task.worker ?? '—'}</td>
    </tr>
  );
});

export function TasksTable(props: {
  connectionId: string;
  rows: Task[];
  sort: string | null;
  dir: string | null;
}) {
  const { connectionId, rows, sort, dir } = props;
  const base = `/c/${encodeURIComponent(connectionId)}/tasks/`;
  return (
    <table className="tasks">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">UUID</th>
          <th scope="col">State</th>
          <th scope="col">Args</th>
          <SortHeader label="Received" column="received" sort={sort} dir={dir} />
          <SortHeader label="Started" column="started" sort={sort} dir={dir} />
          <SortHeader label="Runtime" column="runtime" sort={sort} dir={dir} />
          <th scope="col">Worker</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((task) => (
          <TaskRow key={task.uuid} task={task} base={base} />
        ))}
      </tbody>
    </table>
  );
}
