import { createKafka } from '@celeriac/event-log/kafka';
import { silentLogger } from '@celeriac/service-runtime/logger';
import pg from 'pg';
import type { LabelCaps } from '../src/label-budget';
import { createProjectorMetrics } from '../src/metrics';
import { createPartitionManager } from '../src/partitions';
import { createProjectionStore } from '../src/projection-store';
import { createProjector } from '../src/projector';
import { createSweeper } from '../src/sweeper';

/** The projector's components wired in-process against real Kafka and PostgreSQL, as main.ts does. */
export async function startProjector(options: {
  databaseUrl: string;
  brokers: string[];
  topic: string;
  group: string;
  batchSize?: number;
  concurrency?: number;
  now?: () => number;
  /** Flower's purge_offline_workers in seconds; 0 (default) keeps offline workers. */
  purgeOfflineWorkersS?: number;
  metricCaps?: LabelCaps;
}) {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  const now = options.now ?? (() => Date.now());
  const metrics = createProjectorMetrics(options.metricCaps);
  const partitions = createPartitionManager({ pool, logger: silentLogger, retentionDays: 30, daysAhead: 2 });
  const sweeper = createSweeper({
    pool,
    partitions,
    metrics,
    logger: silentLogger,
    now,
    intervalMs: 60_000,
    partitionIntervalMs: 600_000,
    purgeOfflineWorkersS: options.purgeOfflineWorkersS ?? 0,
  });
  const projector = createProjector({
    kafka: createKafka({ clientId: 'projector-test', brokers: options.brokers, logger: silentLogger }),
    store: createProjectionStore(pool),
    partitions,
    metrics,
    logger: silentLogger,
    now,
    groupId: options.group,
    topic: options.topic,
    batchSize: options.batchSize ?? 1000,
    concurrency: options.concurrency ?? 2,
  });
  await sweeper.start();
  await projector.start();
  let stopping: Promise<void> | undefined;
  return {
    metrics,
    pool,
    sweeper,
    /** The Kafka partitions this replica holds now. */
    get assignment() {
      return projector.assignment;
    },
    /** Idempotent, like every component's stop(). */
    stop() {
      stopping ??= (async () => {
        await projector.stop();
        await sweeper.stop();
        await pool.end();
      })();
      return stopping;
    },
  };
}
