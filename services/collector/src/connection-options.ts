import { z } from 'zod';

/**
 * Per-connection options from `celeriac.connections.options` (JSON). Unknown keys are ignored so the
 * admin API can add options before every collector knows them; a bad value falls back to defaults
 * with a logged warning rather than leaving the connection unconsumed.
 */
export const connectionOptionsSchema = z.object({
  /** Durable event queue name on the broker. Default celeriac.events.<connectionId>. */
  queueName: z.string().min(1).max(200).optional(),
  /** x-max-length of the event queue, messages; overflow drops the oldest. Default 2,000,000 (hours of a busy cluster). */
  queueMaxLength: z.number().int().min(1000).max(100_000_000).default(2_000_000),
  /** AMQP prefetch for the event consumer. Default: the collector's CELERIAC_PREFETCH. */
  prefetch: z.number().int().min(1).max(65_535).optional(),
  /** Cast enable_events + heartbeat to a worker that comes online. Default: CELERIAC_ENABLE_EVENTS. */
  enableEvents: z.boolean().optional(),
  /** Queue-depth sampling interval, ms (0 = off). Default 5000. */
  queueSampleIntervalMs: z.number().int().min(0).default(5_000),
  /** Inspect snapshot interval, ms (0 = off). Default 30000. */
  inspectIntervalMs: z.number().int().min(0).default(30_000),
  /** Idle gap that ends reply collection of a snapshot inspect, ms. Default 1000. */
  inspectTimeoutMs: z.number().int().min(50).max(60_000).default(1_000),
  // Redis brokers: kombu's transport options, with kombu's defaults, so any cluster's naming is reachable.
  /** Sentinel master name (kombu's master_name); required with sentinel:// URLs. */
  redisMasterName: z.string().min(1).max(200).optional(),
  /** kombu fanout_prefix: true = "/{db}.", false = none, a string = that prefix ({db} filled in). Default true. */
  fanoutPrefix: z.union([z.boolean(), z.string().max(200)]).default(true),
  /** kombu fanout_patterns: events on "<exchange>/<routing key>" channels. Default true. */
  fanoutPatterns: z.boolean().default(true),
  /** kombu global_keyprefix, put before every key and channel. Default none. */
  globalKeyprefix: z.string().max(200).default(''),
  /** Celery event_exchange. Default celeryev. */
  eventExchange: z.string().min(1).max(200).default('celeryev'),
  /** Celery control_exchange (pidbox namespace). Default celery. */
  controlExchange: z.string().min(1).max(200).default('celery'),
});

export type ConnectionOptions = z.infer<typeof connectionOptionsSchema>;

export function parseConnectionOptions(raw: unknown): { options: ConnectionOptions; problem?: string } {
  const parsed = connectionOptionsSchema.safeParse(raw ?? {});
  if (parsed.success) return { options: parsed.data };
  return {
    options: connectionOptionsSchema.parse({}),
    problem: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
  };
}
