import type { Task } from '../api/types';

/** One `job:state_change` of the SSE stream. */
export interface JobChange {
  id: string;
  name: string | null;
  celeryState: string;
  hostname: string | null;
  timestamp: string | null;
}

/** The table's filters that can be judged on a change alone; others (search, time) only update rows. */
export interface LiveFilter {
  state?: string;
  name?: string;
  worker?: string;
  /** Search, a time range or a later page: new tasks cannot be placed, so none are added. */
  frozen: boolean;
}

function placeholder(change: JobChange, epoch: number | null): Task {
  return {
    uuid: change.id,
    name: change.name,
    state: change.celeryState,
    received: change.celeryState === 'RECEIVED' ? epoch : null,
    sent: change.celeryState === 'PENDING' ? epoch : null,
    started: change.celeryState === 'STARTED' ? epoch : null,
    rejected: null,
    succeeded: null,
    failed: null,
    retried: null,
    revoked: null,
    args: null,
    kwargs: null,
    eta: null,
    expires: null,
    retries: null,
    worker: change.hostname,
    result: null,
    exception: null,
    timestamp: epoch,
    runtime: null,
    traceback: null,
    exchange: null,
    routing_key: null,
    clock: null,
    client: null,
    root_id: null,
    parent_id: null,
    children: [],
  };
}

function matches(filter: LiveFilter, task: Task): boolean {
  if (filter.frozen) return false;
  if (filter.state && task.state !== filter.state) return false;
  if (filter.name && task.name !== filter.name) return false;
  if (filter.worker && task.worker !== filter.worker) return false;
  return true;
}

/**
 * Applies a batch of changes to the rows in one pass: known tasks change in place, new ones that fit the
 * filter go on top (newest first, like the server's order), and the table never holds more than `max`.
 */
export function mergeChanges(rows: Task[], changes: JobChange[], filter: LiveFilter, max: number): Task[] {
  if (changes.length === 0) return rows;
  const index = new Map<string, number>();
  for (const [i, row] of rows.entries()) index.set(row.uuid, i);
  const next = rows.slice();
  const added = new Map<string, Task>();
  for (const change of changes) {
    const epoch = change.timestamp ? Date.parse(change.timestamp) / 1000 : null;
    const at = index.get(change.id);
    if (at !== undefined) {
      const row = next[at] as Task;
      next[at] = {
        ...row,
        state: change.celeryState,
        name: row.name ?? change.name,
        worker: change.hostname ?? row.worker,
        timestamp: epoch ?? row.timestamp,
      };
      continue;
    }
    const fresh = added.get(change.id);
    const task = fresh
      ? { ...fresh, state: change.celeryState, worker: change.hostname ?? fresh.worker, timestamp: epoch }
      : placeholder(change, epoch);
    added.delete(change.id);
    added.set(change.id, task);
  }
  const kept = [...added.values()].filter((task) => matches(filter, task)).reverse();
  // A row that left the state filter stays visible with its new state until the next load: rows
  // jumping out of view under the cursor are harder to follow than a stale filter.
  return kept.concat(next).slice(0, max);
}
