import type { TaskEvent } from '../api/types';
import type { TaskFrame } from '../live/use-task-socket';

interface Entry {
  key: string;
  type: string;
  timestamp: number | null;
  hostname: string | null;
  live: boolean;
}

/** Stored events first; frames the socket delivered since are added when the store lacks them. */
export function timelineOf(stored: TaskEvent[], frames: TaskFrame[]): Entry[] {
  const entries: Entry[] = stored.map((event) => ({
    key: event.eventId,
    type: event.type,
    timestamp: event.timestamp,
    hostname: event.hostname,
    live: false,
  }));
  const seen = new Set(entries.map((entry) => `${entry.type}@${entry.timestamp}`));
  frames.forEach((frame, i) => {
    const timestamp = typeof frame.timestamp === 'number' ? frame.timestamp : null;
    const id = `${frame.type}@${timestamp}`;
    if (seen.has(id)) return;
    seen.add(id);
    const hostname = typeof frame.hostname === 'string' ? frame.hostname : null;
    entries.push({ key: `live-${i}`, type: frame.type, timestamp, hostname, live: true });
  });
  return entries.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
}

export function TaskTimeline({
  stored,
  frames,
  live,
}: {
  stored: TaskEvent[];
  frames: TaskFrame[];
  live: boolean;
}) {
  const entries = timelineOf(stored, frames);
  const start = entries[0]?.timestamp ?? null;
  return (
    <section className="card" aria-label="Timeline">
      <h2>Timeline {live && <span className="live live-live">● live</span>}</h2>
      {entries.length === 0 && <p className="muted">No events stored for this task yet.</p>}
      <ol className="timeline">
        {entries.map((entry) => (
          <li key={entry.key} data-event-type={entry.type}>
            <span className="mono">{entry.type}</span>
            <span className="muted">
              {entry.timestamp === null
                ? ''
                : new Date(entry.timestamp * 1000).toLocaleTimeString(undefined, { hour12: false })}
              {start !== null && entry.timestamp !== null && entry.timestamp > start
                ? ` (+${(entry.timestamp - start).toFixed(3)} s)`
                : ''}
            </span>
            {entry.hostname && <span className="muted">{entry.hostname}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
