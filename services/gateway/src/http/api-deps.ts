import type { Logger } from '@celeriac/service-runtime/logger';
import type { ResolveConnection } from '../auth/tenancy';
import type { ControlGateway } from '../control/control-gateway';
import type { Inspector } from '../control/inspector';
import type { AdminStore } from '../data/admin-store';
import type { GapsStore } from '../data/gaps-store';
import type { OverviewStore } from '../data/overview-store';
import type { TaskActionsStore } from '../data/task-actions-store';
import type { TasksStore } from '../data/tasks-store';
import type { WorkersStore } from '../data/workers-store';
import type { ResultWaiter } from '../flower/result-waiter';

/** What the REST routes need; built in main.ts (or a test) and handed to createApp. */
export interface ApiDeps {
  logger: Logger;
  tasks: TasksStore;
  workers: WorkersStore;
  admin: AdminStore;
  /** The dashboard's aggregates, and the record of task commands (who revoked or re-ran what). */
  overview: OverviewStore;
  actions: TaskActionsStore;
  /** Windows of missed events the collector recorded per connection. */
  gaps: GapsStore;
  control: ControlGateway;
  inspector: Inspector;
  results: ResultWaiter;
  resolveConnection: ResolveConnection;
  /** Seals broker URLs for the admin API; absent when no CELERIAC_SECRET_KEY is configured. */
  sealBrokerUrl?: (url: string) => Buffer;
  /** Upper bound on items of one /api/tasks response (memory stays bounded). */
  maxPageSize: number;
  /** Largest /api/tasks `offset`: PostgreSQL reads every skipped row, so deep offsets are refused. */
  maxOffset: number;
  now: () => number;
}
