import {
  emptyTimes,
  recordTime,
  resolveState,
  subjectOfTaskType,
  type TaskTimes,
} from '@celeriac/celery-domain/task-resolver';
import { livenessDeadlineMs } from '@celeriac/celery-domain/worker-liveness';

/**
 * The little state the stream needs to say "from what" (previousState) and to notice workers that
 * stopped sending heartbeats. Both are bounded: the oldest entries go first, and a forgotten task
 * simply reports previousState null again.
 */

interface TaskMemo {
  /** The per-subject times the domain's resolver reads: the projector keeps the same ones. */
  times: TaskTimes;
  state: string;
  name: string | null;
}

export interface TaskTransition {
  readonly previous: string | null;
  readonly next: string;
  readonly name: string | null;
}

export class TaskTracker {
  private readonly tasks = new Map<string, TaskMemo>();
  constructor(private readonly capacity: number) {}

  /** Folds a task event (its type and Celery timestamp) and resolves the state as the projector does. */
  apply(
    connectionId: string,
    uuid: string,
    type: string,
    timestamp: number,
    name: string | null,
  ): TaskTransition {
    const key = `${connectionId}\u0000${uuid}`;
    const memo = this.tasks.get(key);
    const times = recordTime(memo?.times ?? emptyTimes(), subjectOfTaskType(type), timestamp);
    const merged: TaskMemo = { times, state: resolveState(times).state, name: name ?? memo?.name ?? null };
    // Re-insert so Map order is least-recently-touched first.
    this.tasks.delete(key);
    this.tasks.set(key, merged);
    if (this.tasks.size > this.capacity) this.tasks.delete(this.tasks.keys().next().value as string);
    return { previous: memo?.state ?? null, next: merged.state, name: merged.name };
  }

  get size(): number {
    return this.tasks.size;
  }
}

interface WorkerMemo {
  /** Heartbeat interval the worker reported, s; null until it does (the liveness rule's default applies). */
  freqS: number | null;
  lastSeenMs: number;
  online: boolean;
}

export interface WorkerTransition {
  readonly hostname: string;
  readonly state: 'online' | 'offline';
  readonly previousState: 'online' | 'offline' | null;
  readonly reason: 'worker-online' | 'worker-offline' | 'heartbeat-expired' | 'heartbeat-resumed';
}

export class WorkerTracker {
  private readonly byConnection = new Map<string, Map<string, WorkerMemo>>();
  private readonly lastSweepSecond = new Map<string, number>();
  private count = 0;
  constructor(private readonly capacity: number) {}

  /** Applies a worker-* event; returns the state change it makes, if any. */
  observe(
    connectionId: string,
    hostname: string,
    type: string,
    freqS: number | undefined,
    atMs: number,
  ): WorkerTransition | null {
    const workers = this.workersOf(connectionId);
    const memo = workers.get(hostname);
    const freq = freqS && freqS > 0 ? freqS : (memo?.freqS ?? null);
    const previousState = memo ? (memo.online ? 'online' : 'offline') : null;
    if (type === 'worker-offline') {
      if (!memo) return null;
      workers.set(hostname, { freqS: freq, lastSeenMs: atMs, online: false });
      return memo.online ? { hostname, state: 'offline', previousState, reason: 'worker-offline' } : null;
    }
    if (type !== 'worker-online' && type !== 'worker-heartbeat') return null;
    if (!memo) this.admit();
    workers.set(hostname, { freqS: freq, lastSeenMs: Math.max(atMs, memo?.lastSeenMs ?? 0), online: true });
    if (type === 'worker-online')
      return { hostname, state: 'online', previousState, reason: 'worker-online' };
    // A heartbeat from a worker we never saw is not news (every replica start would flood "online").
    if (memo && !memo.online)
      return { hostname, state: 'online', previousState, reason: 'heartbeat-resumed' };
    return null;
  }

  /** Task events keep a known worker alive, as in Celery. */
  touch(connectionId: string, hostname: string, atMs: number): void {
    const memo = this.byConnection.get(connectionId)?.get(hostname);
    if (memo?.online) memo.lastSeenMs = Math.max(memo.lastSeenMs, atMs);
  }

  /**
   * Workers whose heartbeats stopped, judged at stream time `atMs` (the collector receive time of
   * the current record), so every replica derives the same changes at the same positions. Sweeps at
   * most once per second of stream time.
   */
  expire(connectionId: string, atMs: number): WorkerTransition[] {
    const second = Math.floor(atMs / 1000);
    const last = this.lastSweepSecond.get(connectionId);
    this.lastSweepSecond.set(connectionId, second);
    if (last === undefined || second <= last) return [];
    const changes: WorkerTransition[] = [];
    for (const [hostname, memo] of this.byConnection.get(connectionId) ?? []) {
      if (memo.online && atMs >= livenessDeadlineMs(memo.lastSeenMs, memo.freqS)) {
        memo.online = false;
        changes.push({ hostname, state: 'offline', previousState: 'online', reason: 'heartbeat-expired' });
      }
    }
    return changes;
  }

  private workersOf(connectionId: string): Map<string, WorkerMemo> {
    let workers = this.byConnection.get(connectionId);
    if (!workers) {
      workers = new Map();
      this.byConnection.set(connectionId, workers);
    }
    return workers;
  }

  private admit(): void {
    this.count += 1;
    if (this.count <= this.capacity) return;
    for (const [connectionId, workers] of this.byConnection) {
      const oldest = workers.keys().next();
      if (!oldest.done) {
        workers.delete(oldest.value);
        this.count -= 1;
      }
      if (workers.size === 0) {
        this.byConnection.delete(connectionId);
        this.lastSweepSecond.delete(connectionId);
      }
      return;
    }
  }
}
