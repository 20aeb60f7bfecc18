import type { ReactNode } from 'react';

export function ErrorNote({ error }: { error: Error | undefined }) {
  return error ? (
    <p role="alert" className="error">
      {error.message}
    </p>
  ) : null;
}

/** Shown while a connection has no events yet: what to switch on in Celery. */
export function NoEventsYet({ what }: { what: ReactNode }) {
  return (
    <section className="card empty" aria-label="No events yet">
      <h2>No {what} yet</h2>
      <p>Celeriac sees what Celery workers publish as events. Workers send none by default:</p>
      <ul>
        <li>
          start workers with <code>celery -A proj worker -E</code>, or set{' '}
          <code>worker_send_task_events = True</code>
        </li>
        <li>
          set <code>task_send_sent_event = True</code> in the clients' config, so tasks show from the moment
          they are sent;
        </li>
        <li>
          or switch events on in running workers: <code>celery -A proj control enable_events</code>
        </li>
      </ul>
      <p className="muted">The page updates by itself once the first event arrives.</p>
    </section>
  );
}

export function Stat({ label, value, tone }: { label: string; value: ReactNode; tone?: string }) {
  return (
    <div className={`stat ${tone ?? ''}`}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}
