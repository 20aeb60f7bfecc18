import type { ReactNode } from 'react';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import { useTheme } from '../theme';

const PAGES = [
  ['overview', 'Overview'],
  ['tasks', 'Tasks'],
  ['workers', 'Workers'],
  ['queues', 'Queues'],
] as const;

export function Layout({ connectionId, children }: { connectionId: string | null; children: ReactNode }) {
  const { session, signOut } = useSession();
  const { location, navigate } = useRouter();
  const [theme, toggleTheme] = useTheme();
  const connections = session?.connections ?? [];
  const page = location.path.split('/')[3] ?? 'overview';
  const base = connectionId ? `/c/${encodeURIComponent(connectionId)}` : null;

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Celeriac</span>
        {base && (
          <nav aria-label="Pages">
            {PAGES.map(([slug, label]) => (
              <Link key={slug} to={`${base}/${slug}`} aria-current={page === slug ? 'page' : undefined}>
                {label}
              </Link>
            ))}
          </nav>
        )}
        <span className="spacer" />
        {connections.length > 1 && (
          <label className="inline">
            Connection{' '}
            <select
              value={connectionId ?? ''}
              onChange={(event) => navigate(`/c/${encodeURIComponent(event.target.value)}/${page}`)}
            >
              {connectionId === null && <option value="">—</option>}
              {connections.map((connection) => (
                <option key={connection.id} value={connection.id}>
                  {connection.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {connections.length === 1 && <span className="muted">{connections[0]?.name}</span>}
        <span className="badge" title="Role of the signed-in key">
          {session?.name} · {session?.role}
        </span>
        <button
          type="button"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
