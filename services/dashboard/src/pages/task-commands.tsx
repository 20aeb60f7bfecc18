import { READY_STATES } from '@celeriac/celery-domain/celery-states';
import { apiUrl, postJson } from '../api/client';
import type { Task, TaskAction } from '../api/types';
import { useApi } from '../api/use-api';
import { ConfirmButton } from '../components/confirm-dialog';
import { formatIso } from '../format';
import { Link } from '../router';
import { useSession } from '../session';

/** Revoke / terminate / re-run for operators, and the record of who did what to this task. */
export function TaskCommands({
  connectionId,
  task,
  onChange,
}: {
  connectionId: string;
  task: Task;
  onChange: () => void;
}) {
  const { can } = useSession();
  const actions = useApi<{ items: TaskAction[] }>(
    apiUrl(`/api/v1/tasks/${encodeURIComponent(task.uuid)}/actions`, { connectionId, s: task.state }),
  );
  const id = encodeURIComponent(task.uuid);
  const final = READY_STATES.has(task.state);
  const done = () => {
    actions.reload();
    onChange();
  };
  const revoke = (terminate: boolean) => async () => {
    const reply = await postJson<{ message: string }>(
      apiUrl(`/api/task/revoke/${id}`, { connectionId, terminate: terminate ? 'true' : undefined }),
    );
    return reply.message;
  };
  const rerun = async () => {
    const reply = await postJson<{ taskId: string }>(apiUrl(`/api/v1/tasks/${id}/rerun`, { connectionId }));
    return `Sent again as task ${reply.taskId}`;
  };
  const base = `/c/${encodeURIComponent(connectionId)}/tasks/`;

  return (
    <section className="card" aria-label="Actions">
      <h2>Actions</h2>
      {can('command') ? (
        <div className="actions">
          {/* All three stay mounted: a revoke that finishes the task must not take its dialog away. */}
          <ConfirmButton
            label="Revoke"
            title="Revoke this task?"
            body={<p>Workers will discard it if it has not started. A running task keeps running.</p>}
            action={revoke(false)}
            unavailable={final ? 'The task has finished' : undefined}
            onDone={done}
          />
          <ConfirmButton
            label="Terminate"
            danger
            title="Terminate this task?"
            body={<p>Revokes the task and kills the worker process running it (SIGTERM).</p>}
            action={revoke(true)}
            unavailable={final ? 'The task has finished' : undefined}
            onDone={done}
          />
          <ConfirmButton
            label="Re-run"
            title="Run this task again?"
            body={
              <p>Sends a new task with the same name, args, kwargs and routing. It links back to this one.</p>
            }
            action={rerun}
            unavailable={final ? undefined : 'Only a finished task can be run again'}
            onDone={done}
          />
        </div>
      ) : (
        <p className="muted">Your role can only read; commands need an operator key.</p>
      )}
      {(actions.data?.items.length ?? 0) > 0 && (
        <ul className="plain">
          {actions.data?.items.map((item) => (
            <li key={`${item.action}-${item.at}`}>
              <strong>{item.action}</strong> by {item.keyName}, {formatIso(item.at)}
              {item.newTaskId && (
                <>
                  {' → '}
                  <Link to={base + encodeURIComponent(item.newTaskId)} className="mono">
                    {item.newTaskId}
                  </Link>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
