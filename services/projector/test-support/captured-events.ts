import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { normalizeCeleryEvent } from '@celeriac/celery-domain/normalize';
import type { CeleryEvent } from '@celeriac/proto/events';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./celery_events.py', import.meta.url));

export interface RawRecord {
  receivedAtMs: number;
  event: Record<string, unknown>;
}

/** Runs real Celery traffic against `brokerUrl` (a worker must consume there) and returns every raw event. */
export async function captureCeleryEvents(
  stack: { python: string; celeryAppDir: string },
  brokerUrl: string,
): Promise<RawRecord[]> {
  const dir = await mkdtemp(join(tmpdir(), 'celeriac-capture-'));
  try {
    const out = join(dir, 'events.jsonl');
    await run(stack.python, [SCRIPT, 'capture', brokerUrl, out], {
      env: { ...process.env, CELERIAC_CELERY_APP_DIR: stack.celeryAppDir },
      timeout: 120_000,
    });
    return (await readFile(out, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RawRecord);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The records with each `task-retried` that arrived after its task's `task-succeeded` or `task-failed`
 * moved back to just before that finish. A retried message can run and finish on another pool
 * process before the old run publishes its `task-retried`; Celery's State then shows RETRY for a
 * finished task, Celeriac keeps it finished (docs/celery-events.md, "A retry reported after a
 * success or failure never hides it"). Fed in this order, Celery's State gives Celeriac's answer.
 */
export function retriesBeforeFinish(records: readonly RawRecord[]): RawRecord[] {
  const out: RawRecord[] = [];
  for (const record of records) {
    const { type, uuid } = record.event;
    const finish =
      type === 'task-retried'
        ? out.findIndex(
            (earlier) =>
              earlier.event.uuid === uuid &&
              (earlier.event.type === 'task-succeeded' || earlier.event.type === 'task-failed'),
          )
        : -1;
    if (finish >= 0) out.splice(finish, 0, record);
    else out.push(record);
  }
  return out;
}

/** What celery.events.state.State makes of the records, fed in the given order. */
export async function celeryStateOf(
  python: string,
  records: RawRecord[],
): Promise<Record<string, Record<string, unknown>>> {
  const dir = await mkdtemp(join(tmpdir(), 'celeriac-state-'));
  try {
    const input = join(dir, 'events.jsonl');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(input, records.map((record) => JSON.stringify(record)).join('\n'));
    const { stdout } = await run(python, [SCRIPT, 'state', input], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as Record<string, Record<string, unknown>>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Normalizes raw records into the event log's envelope for one connection, as the collector does. */
export function toCeleryEvents(records: RawRecord[], connectionId: string): CeleryEvent[] {
  return records.map((record) => {
    const result = normalizeCeleryEvent(record.event, { connectionId, receivedAtMs: record.receivedAtMs });
    if (!result.ok) throw new Error(`captured event did not normalize: ${result.detail}`);
    return result.event;
  });
}

/** A deterministic shuffle (seeded), so a failure can be reproduced. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
