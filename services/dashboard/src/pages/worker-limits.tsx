import { useState } from 'react';
import { apiUrl, postJson } from '../api/client';
import { ConfirmButton } from '../components/confirm-dialog';

/** Rate limit and soft/hard time limits of one task name on one worker (Flower's task control routes). */
export function WorkerLimits(props: { connectionId: string; worker: string; taskNames: string[] }) {
  const { connectionId, worker, taskNames } = props;
  const [task, setTask] = useState(taskNames[0] ?? '');
  const [rate, setRate] = useState('10/m');
  const [soft, setSoft] = useState('');
  const [hard, setHard] = useState('');
  const send = (path: string, params: Record<string, string>) => async () =>
    (
      await postJson<{ message: string }>(
        apiUrl(`/api/task/${path}/${encodeURIComponent(task)}`, {
          connectionId,
          workername: worker,
          ...params,
        }),
      )
    ).message;
  if (taskNames.length === 0) return null;
  return (
    <section className="card" aria-label="Task limits">
      <h2>Task limits</h2>
      <div className="actions">
        <label className="inline">
          Task{' '}
          <select value={task} onChange={(e) => setTask(e.target.value)}>
            {taskNames.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
      </div>
      <div className="actions">
        <label className="inline">
          Rate <input value={rate} onChange={(e) => setRate(e.target.value)} className="narrow" />
        </label>
        <ConfirmButton
          label="Set rate limit"
          title={`Limit ${task} on ${worker} to ${rate}?`}
          body={null}
          action={send('rate-limit', { ratelimit: rate })}
        />
      </div>
      <div className="actions">
        <label className="inline">
          Soft (s){' '}
          <input
            type="number"
            min={0}
            value={soft}
            onChange={(e) => setSoft(e.target.value)}
            className="narrow"
          />
        </label>
        <label className="inline">
          Hard (s){' '}
          <input
            type="number"
            min={0}
            value={hard}
            onChange={(e) => setHard(e.target.value)}
            className="narrow"
          />
        </label>
        <ConfirmButton
          label="Set time limits"
          title={`Set time limits of ${task} on ${worker}?`}
          body={null}
          action={send('timeout', { soft, hard })}
        />
      </div>
    </section>
  );
}
