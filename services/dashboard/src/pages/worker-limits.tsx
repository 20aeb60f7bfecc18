import { useState } from 'react';
import { flowerCommand } from '../api/flower-command';
import { ConfirmButton } from '../components/confirm-dialog';
import { InlineField, NumberField } from '../components/inline-field';

/** Rate limit and soft/hard time limits of one task name on one worker (Flower's task control routes). */
export function WorkerLimits(props: { connectionId: string; worker: string; taskNames: string[] }) {
  const { connectionId, worker, taskNames } = props;
  // The names arrive after the first render: until one is chosen, the list's first one is meant.
  const [chosen, setTask] = useState('');
  const task = taskNames.includes(chosen) ? chosen : (taskNames[0] ?? '');
  const [rate, setRate] = useState('10/m');
  const [soft, setSoft] = useState('');
  const [hard, setHard] = useState('');
  const send = (path: string, params: Record<string, string>) =>
    flowerCommand(`/api/task/${path}/${encodeURIComponent(task)}`, {
      connectionId,
      workername: worker,
      ...params,
    });
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
        <InlineField label="Rate" value={rate} onChange={setRate} className="narrow" />
        <ConfirmButton
          label="Set rate limit"
          title={`Limit ${task} on ${worker} to ${rate}?`}
          body={null}
          action={send('rate-limit', { ratelimit: rate })}
        />
      </div>
      <div className="actions">
        <NumberField label="Soft (s)" min={0} value={soft} onChange={setSoft} />
        <NumberField label="Hard (s)" min={0} value={hard} onChange={setHard} />
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
