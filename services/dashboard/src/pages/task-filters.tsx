import { type FormEvent, memo, useEffect, useState } from 'react';
import { apiUrl } from '../api/client';
import type { Queue, Worker } from '../api/types';
import { useApi } from '../api/use-api';
import { useQueryUpdate, useRouter } from '../router';

const STATES = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'];

/** `YYYY-MM-DDTHH:MM` from a datetime-local input (the browser's zone) to Flower's UTC `YYYY-MM-DD HH:MM`. */
export function toFlowerUtc(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 16).replace('T', ' ');
}

export function fromFlowerUtc(value: string | null): string {
  if (!value) return '';
  const date = new Date(`${value.replace(' ', 'T')}:00Z`);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** The filter bar; every value lives in the URL (shared links open the same view). Live batches skip it. */
export const TaskFilters = memo(function TaskFilters({ connectionId }: { connectionId: string }) {
  const { location } = useRouter();
  const update = useQueryUpdate();
  const query = location.query;
  const workers = useApi<{ items: Worker[] }>(apiUrl('/api/v1/workers', { connectionId }));
  const types = useApi<{ 'task-types': string[] }>(apiUrl('/api/task/types', { connectionId }));
  const queues = useApi<{ items: Queue[] }>(apiUrl('/api/v1/queues', { connectionId }));
  const [text, setText] = useState({ name: '', queue: '', search: '', from: '', to: '' });

  useEffect(() => {
    setText({
      name: query.get('name') ?? '',
      queue: query.get('queue') ?? '',
      search: query.get('search') ?? '',
      from: fromFlowerUtc(query.get('from')),
      to: fromFlowerUtc(query.get('to')),
    });
  }, [query]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    update({
      name: text.name.trim(),
      queue: text.queue.trim(),
      search: text.search.trim(),
      from: toFlowerUtc(text.from),
      to: toFlowerUtc(text.to),
      cursor: undefined,
    });
  };
  const edit = (field: keyof typeof text) => (event: { target: { value: string } }) =>
    setText((value) => ({ ...value, [field]: event.target.value }));

  return (
    <form className="filters" onSubmit={submit} aria-label="Task filters">
      <label>
        State
        <select
          value={query.get('state') ?? ''}
          onChange={(e) => update({ state: e.target.value, cursor: undefined })}
        >
          <option value="">any</option>
          {STATES.map((state) => (
            <option key={state}>{state}</option>
          ))}
        </select>
      </label>
      <label>
        Name
        <input name="name" list="task-names" value={text.name} onChange={edit('name')} placeholder="any" />
        <datalist id="task-names">
          {(types.data?.['task-types'] ?? []).map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </label>
      <label>
        Worker
        <select
          value={query.get('worker') ?? ''}
          onChange={(e) => update({ worker: e.target.value, cursor: undefined })}
        >
          <option value="">any</option>
          {(workers.data?.items ?? []).map((worker) => (
            <option key={worker.hostname}>{worker.hostname}</option>
          ))}
        </select>
      </label>
      <label>
        Queue
        <input
          name="queue"
          list="queue-names"
          value={text.queue}
          onChange={edit('queue')}
          placeholder="any"
          maxLength={255}
        />
        <datalist id="queue-names">
          {(queues.data?.items ?? []).map((queue) => (
            <option key={queue.name} value={queue.name} />
          ))}
        </datalist>
      </label>
      <label>
        Received from
        <input type="datetime-local" value={text.from} onChange={edit('from')} />
      </label>
      <label>
        to
        <input type="datetime-local" value={text.to} onChange={edit('to')} />
      </label>
      <label className="grow">
        Search
        <input
          name="search"
          type="search"
          value={text.search}
          onChange={edit('search')}
          placeholder="text, state:FAILURE, args:42, kwargs:user_id=7, result:…"
        />
      </label>
      <button type="submit" className="primary">
        Apply
      </button>
    </form>
  );
});
