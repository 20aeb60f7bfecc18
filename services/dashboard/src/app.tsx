import { useEffect } from 'react';
import { Layout } from './components/layout';
import { OverviewPage } from './pages/overview';
import { QueuesPage } from './pages/queues';
import { SignInPage } from './pages/sign-in';
import { TaskDetailPage } from './pages/task-detail';
import { TasksPage } from './pages/tasks';
import { WorkerDetailPage } from './pages/worker-detail';
import { WorkersPage } from './pages/workers';
import { matchPath, useRouter } from './router';
import { useSession } from './session';

/** Every page lives under /c/<connection id>/, so a shared link opens the same cluster. */
const ROUTES = [
  ['/c/:connection/overview', OverviewPage],
  ['/c/:connection/tasks', TasksPage],
  ['/c/:connection/tasks/:taskId', TaskDetailPage],
  ['/c/:connection/workers', WorkersPage],
  ['/c/:connection/workers/:worker', WorkerDetailPage],
  ['/c/:connection/queues', QueuesPage],
] as const;

export function App() {
  const { session } = useSession();
  const { location, navigate } = useRouter();
  const first = session?.connections[0]?.id;
  const atRoot = location.path === '/' || location.path === '/sign-in';

  useEffect(() => {
    if (session && atRoot && first) navigate(`/c/${encodeURIComponent(first)}/overview`, { replace: true });
  }, [session, atRoot, first, navigate]);

  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <SignInPage />;
  if (!first) {
    return (
      <Layout connectionId={null}>
        <p role="alert">This key is not granted any connection. Ask an admin to grant one.</p>
      </Layout>
    );
  }
  for (const [pattern, Page] of ROUTES) {
    const params = matchPath(pattern, location.path);
    if (!params) continue;
    const connectionId = params.connection as string;
    const known = session.connections.some((connection) => connection.id === connectionId);
    return (
      <Layout connectionId={known ? connectionId : null}>
        {known ? (
          <Page connectionId={connectionId} params={params} />
        ) : (
          <p role="alert">This key has no connection with id {connectionId}.</p>
        )}
      </Layout>
    );
  }
  return (
    <Layout connectionId={null}>
      <p role="alert">No page at {location.path}.</p>
    </Layout>
  );
}
