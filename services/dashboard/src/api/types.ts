/** Shapes of the gateway's public API, as the dashboard reads them. */
export interface Session {
  keyId: string;
  name: string;
  role: string;
  permissions: string[];
  connections: { id: string; name: string }[];
  csrfToken: string;
}

/** A task as /api/v1/tasks and /api/v1/tasks/:id return it (Flower's key set). */
export interface Task {
  uuid: string;
  name: string | null;
  state: string;
  received: number | null;
  sent: number | null;
  started: number | null;
  rejected: number | null;
  succeeded: number | null;
  failed: number | null;
  retried: number | null;
  revoked: number | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker?: string | null;
  result: string | null;
  exception: string | null;
  timestamp: number | null;
  runtime: number | null;
  traceback: string | null;
  exchange: string | null;
  routing_key: string | null;
  clock: number | null;
  client: string | null;
  root_id: string | null;
  parent_id: string | null;
  children: string[];
  rerunOf?: string | null;
}

export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}

export interface TaskEvent {
  eventId: string;
  type: string;
  hostname: string | null;
  timestamp: number | null;
  receivedAt: string;
  fields: Record<string, unknown>;
}

export interface TaskAction {
  action: 'revoke' | 'terminate' | 'rerun';
  keyName: string;
  at: string;
  newTaskId: string | null;
}

export interface Worker {
  hostname: string;
  online: boolean;
  alive: boolean;
  pid: number | null;
  freq: number | null;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  swIdent: string | null;
  swVer: string | null;
  lastHeartbeat: number | null;
  inspect: Record<string, unknown> | null;
}

export interface Queue {
  name: string;
  messages: number;
  consumers: number;
  sampledAt?: string;
}

export interface Overview {
  range: string;
  from: string;
  to: string;
  bucketSeconds: number;
  workers: { online: number; offline: number };
  throughput: { t: string; succeeded: number; failed: number; retried: number }[];
  totals: { succeeded: number; failed: number; retried: number };
  failureRate: number | null;
  slowest: { name: string; count: number; p50Runtime: number | null; p95Runtime: number | null }[];
  mostFailing: { name: string; failed: number; total: number }[];
  topExceptions: { exception: string; count: number; lastSeen: string }[];
  queues: Queue[];
}

export interface QueueHistory {
  series: { queue: string; points: { t: string; messages: number; consumers: number }[] }[];
}

export const RANGES = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
export type Range = (typeof RANGES)[number];
