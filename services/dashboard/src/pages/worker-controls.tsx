import { useState } from 'react';
import { flowerCommand } from '../api/flower-command';
import { ConfirmButton } from '../components/confirm-dialog';
import { InlineField, NumberField } from '../components/inline-field';

/** Flower's worker control routes; each is confirmed in a dialog that then shows the worker's reply. */
export function WorkerControls({
  connectionId,
  worker,
  onDone,
}: {
  connectionId: string;
  worker: string;
  onDone: () => void;
}) {
  const [n, setN] = useState('1');
  const [min, setMin] = useState('1');
  const [max, setMax] = useState('4');
  const [queue, setQueue] = useState('');
  const name = encodeURIComponent(worker);
  const send = (path: string, params: Record<string, string> = {}) =>
    flowerCommand(`/api/worker/${path}/${name}`, { connectionId, ...params });

  return (
    <section className="card" aria-label="Control">
      <h2>Control</h2>
      <div className="actions">
        <ConfirmButton
          label="Restart pool"
          title={`Restart the pool of ${worker}?`}
          body={<p>Running tasks finish first.</p>}
          action={send('pool/restart')}
          onDone={onDone}
        />
        <ConfirmButton
          label="Shut down"
          danger
          title={`Shut down ${worker}?`}
          body={<p>The worker exits; something must start it again.</p>}
          action={send('shutdown')}
          onDone={onDone}
        />
      </div>
      <div className="actions">
        <NumberField label="Processes" min={1} max={64} value={n} onChange={setN} />
        <ConfirmButton
          label="Grow pool"
          title={`Grow the pool of ${worker} by ${n}?`}
          body={null}
          action={send('pool/grow', { n })}
          onDone={onDone}
        />
        <ConfirmButton
          label="Shrink pool"
          title={`Shrink the pool of ${worker} by ${n}?`}
          body={null}
          action={send('pool/shrink', { n })}
          onDone={onDone}
        />
      </div>
      <div className="actions">
        <NumberField label="Min" min={0} value={min} onChange={setMin} />
        <NumberField label="Max" min={1} value={max} onChange={setMax} />
        <ConfirmButton
          label="Autoscale"
          title={`Autoscale ${worker} between ${min} and ${max}?`}
          body={null}
          action={send('pool/autoscale', { min, max })}
          onDone={onDone}
        />
      </div>
      <div className="actions">
        <InlineField label="Queue" value={queue} onChange={setQueue} placeholder="queue name" />
        <ConfirmButton
          label="Add consumer"
          title={`Make ${worker} consume from '${queue}'?`}
          body={null}
          action={send('queue/add-consumer', { queue })}
          onDone={onDone}
        />
        <ConfirmButton
          label="Cancel consumer"
          danger
          title={`Stop ${worker} consuming from '${queue}'?`}
          body={null}
          action={send('queue/cancel-consumer', { queue })}
          onDone={onDone}
        />
      </div>
    </section>
  );
}
