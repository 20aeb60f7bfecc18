import { apiUrl } from '../api/client';
import type { Task } from '../api/types';
import { useApi } from '../api/use-api';
import { StateBadge } from '../components/state-badge';
import { Link } from '../router';

interface Workflow {
  rootId: string;
  truncated: boolean;
  tasks: Task[];
}

/** Tasks of one root by parent_id: chains are nested lists, group members siblings under their parent. */
export function WorkflowTree({
  connectionId,
  taskId,
  version,
}: {
  connectionId: string;
  taskId: string;
  version: number;
}) {
  const { data, error } = useApi<Workflow>(
    apiUrl(`/api/v1/tasks/${encodeURIComponent(taskId)}/workflow`, { connectionId, v: version }),
  );
  if (error || !data || data.tasks.length <= 1) return null;
  const children = new Map<string, Task[]>();
  const ids = new Set(data.tasks.map((task) => task.uuid));
  const roots: Task[] = [];
  for (const task of data.tasks) {
    const parent = task.parent_id;
    if (parent && parent !== task.uuid && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(task);
      children.set(parent, list);
    } else roots.push(task);
  }
  const base = `/c/${encodeURIComponent(connectionId)}/tasks/`;
  const visited = new Set<string>();
  const render = (task: Task) => {
    // parent_id comes from workers: a cycle must not recurse forever.
    if (visited.has(task.uuid)) return null;
    visited.add(task.uuid);
    const kids = children.get(task.uuid) ?? [];
    return (
      <li key={task.uuid}>
        <StateBadge state={task.state} />{' '}
        {task.uuid === taskId ? (
          <strong>{task.name ?? task.uuid}</strong>
        ) : (
          <Link to={base + encodeURIComponent(task.uuid)}>{task.name ?? task.uuid}</Link>
        )}{' '}
        <span className="muted mono small">{task.uuid.slice(0, 8)}</span>
        {kids.length > 0 && <ul>{kids.map(render)}</ul>}
      </li>
    );
  };
  return (
    <section className="card" aria-label="Workflow">
      <h2>Workflow ({data.tasks.length} tasks)</h2>
      {data.truncated && <p className="muted">Only the first 1000 tasks of this workflow are shown.</p>}
      <ul className="tree">{roots.map(render)}</ul>
    </section>
  );
}
