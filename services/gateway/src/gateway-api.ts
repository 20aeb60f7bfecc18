import type { Logger } from '@celeriac/service-runtime/logger';
import type pg from 'pg';
import { createApiKeyAuthenticator, openAuthenticator } from './auth/api-keys';
import type { Authenticator } from './auth/principal';
import { withSessions } from './auth/sessions';
import { createTenancy } from './auth/tenancy';
import { type ControlGateway, createControlGateway } from './control/control-gateway';
import { createInspector, type InspectForward } from './control/inspector';
import { createAdminStore } from './data/admin-store';
import { createGapsStore } from './data/gaps-store';
import { createOverviewStore } from './data/overview-store';
import { createSessionsStore, type SessionsStore } from './data/sessions-store';
import { createTaskActionsStore } from './data/task-actions-store';
import { createTasksStore } from './data/tasks-store';
import { createWorkersStore } from './data/workers-store';
import { createResultWaiter } from './flower/result-waiter';
import type { ApiDeps } from './http/api-deps';

/**
 * Builds the REST API's dependencies over one pg pool: stores, tenancy, authenticator, the gRPC
 * control gateway and the inspector. main.ts and the integration tests build the API the same way.
 */
export function createGatewayApi(options: {
  pool: pg.Pool;
  logger: Logger;
  /** Sent on every Control call; undefined only when Control auth is explicitly disabled. */
  controlToken: string | undefined;
  authDisabled: boolean;
  defaultConnection?: string;
  sealBrokerUrl?: (url: string) => Buffer;
  maxPageSize: number;
  /** Largest accepted /api/tasks offset (default 100000). */
  maxOffset?: number;
  /** Bytes of free-form task text one listing carries whole (default 16 MiB). */
  tasksResponseBytes?: number;
  /** Result waits running per connection, counting those whose client left (default 100). */
  resultWaitsPerConnection?: number;
  now?: () => number;
  /** Key and connection lookups are cached this long (default 5 s); tests of revocation set 0. */
  keyCacheTtlMs?: number;
  /** With gateway peers: worker refreshes run on the connection's designated replica (peers/inspect-relay.ts). */
  inspectForward?: InspectForward;
}): {
  deps: ApiDeps;
  authenticator: Authenticator;
  control: ControlGateway;
  /** The dashboard's sign-in: API keys alone (no cookie) and the session rows. */
  sessions: { keys: Authenticator; store: SessionsStore };
} {
  const now = options.now ?? Date.now;
  const admin = createAdminStore(options.pool);
  const tasks = createTasksStore(options.pool, { responseBytes: options.tasksResponseBytes });
  const control = createControlGateway({
    ownerAddress: (connectionId) => admin.ownerAddress(connectionId),
    logger: options.logger.child({ component: 'control' }),
    token: options.controlToken,
  });
  const { resolveConnection } = createTenancy({
    store: admin,
    defaultConnection: options.defaultConnection,
    now,
    existsTtlMs: options.keyCacheTtlMs,
  });
  const keys = options.authDisabled
    ? openAuthenticator
    : createApiKeyAuthenticator({ store: admin, now, cacheTtlMs: options.keyCacheTtlMs });
  const sessionsStore = createSessionsStore(options.pool);
  const authenticator = options.authDisabled ? keys : withSessions(keys, sessionsStore);
  const deps: ApiDeps = {
    logger: options.logger,
    tasks,
    workers: createWorkersStore(options.pool),
    admin,
    overview: createOverviewStore(options.pool),
    actions: createTaskActionsStore(options.pool),
    gaps: createGapsStore(options.pool),
    control,
    inspector: createInspector({
      control,
      logger: options.logger.child({ component: 'inspector' }),
      now,
      forward: options.inspectForward,
    }),
    results: createResultWaiter({ load: tasks.get, now, maxPerConnection: options.resultWaitsPerConnection }),
    resolveConnection,
    sealBrokerUrl: options.sealBrokerUrl,
    maxPageSize: options.maxPageSize,
    maxOffset: options.maxOffset ?? 100_000,
    now,
  };
  return { deps, authenticator, control, sessions: { keys, store: sessionsStore } };
}
