import { createKafka } from '@celeriac/event-log/kafka';
import { kafkaSecurityOf } from '@celeriac/event-log/kafka-config';
import { parseConfig } from '@celeriac/service-runtime/config';
import { runUntilSignal } from '@celeriac/service-runtime/lifecycle';
import { createLogger } from '@celeriac/service-runtime/logger';
import { createOpsServer } from '@celeriac/service-runtime/ops-server';
import pg from 'pg';
import { projectorConfigSchema } from './config';
import { createProjectorMetrics, DEFAULT_LABEL_CAPS } from './metrics';
import { createPartitionManager } from './partitions';
import { createProjector } from './projector';
import { createRetention } from './retention';
import { createSweeper } from './sweeper';

// Composition root: configuration, dependencies, lifecycle. No logic lives here.
const config = parseConfig(projectorConfigSchema, process.env);
const logger = createLogger({ service: 'projector', level: config.CELERIAC_LOG_LEVEL });
const now = () => Date.now();
const pool = new pg.Pool({
  connectionString: config.CELERIAC_DATABASE_URL,
  max: config.CELERIAC_PROJECTOR_PG_POOL,
});
pool.on('error', (error) => logger.error({ err: error }, 'idle PostgreSQL client failed'));
const kafka = createKafka({
  clientId: 'celeriac-projector',
  brokers: config.CELERIAC_KAFKA_BROKERS,
  security: kafkaSecurityOf(config),
  logger,
});
const metrics = createProjectorMetrics({
  valuesPerLabel: config.CELERIAC_PROJECTOR_METRIC_LABEL_VALUES,
  seriesPerMetric: config.CELERIAC_PROJECTOR_METRIC_SERIES,
  maxValueLength: DEFAULT_LABEL_CAPS.maxValueLength,
  bytesPerConnection: config.CELERIAC_PROJECTOR_METRIC_LABEL_BYTES,
});
const partitions = createPartitionManager({
  pool,
  logger,
  retentionDays: config.CELERIAC_PROJECTOR_RETENTION_DAYS,
  daysAhead: config.CELERIAC_PROJECTOR_PARTITIONS_AHEAD,
});
const sweeper = createSweeper({
  pool,
  partitions,
  metrics,
  logger,
  now,
  intervalMs: config.CELERIAC_PROJECTOR_SWEEP_MS,
  partitionIntervalMs: config.CELERIAC_PROJECTOR_PARTITION_MAINTENANCE_MS,
  purgeOfflineWorkersS: config.CELERIAC_PROJECTOR_PURGE_OFFLINE_WORKERS_S,
});
const retention = createRetention({
  pool,
  partitions,
  metrics,
  logger,
  now,
  defaultDays: config.CELERIAC_PROJECTOR_RETENTION_DAYS,
  batchRows: config.CELERIAC_PROJECTOR_RETENTION_BATCH,
  intervalMs: config.CELERIAC_PROJECTOR_RETENTION_INTERVAL_MS,
});
const projector = createProjector({
  kafka,
  pool,
  partitions,
  metrics,
  logger,
  now,
  groupId: config.CELERIAC_PROJECTOR_GROUP,
  topic: config.CELERIAC_EVENTS_TOPIC,
  batchSize: config.CELERIAC_PROJECTOR_BATCH_SIZE,
  concurrency: config.CELERIAC_PROJECTOR_CONCURRENCY,
});
let shuttingDown = false;
const ops = createOpsServer({
  port: config.CELERIAC_PROJECTOR_OPS_PORT,
  host: config.CELERIAC_PROJECTOR_OPS_HOST,
  registry: metrics.registry,
  logger,
  readiness: {
    notReadyReason: () =>
      shuttingDown
        ? 'shutting down'
        : !projector.isRunning
          ? 'consumer not running'
          : !projector.joined
            ? 'not in consumer group yet'
            : null,
  },
});
const database = {
  name: 'pg-pool',
  isRunning: true,
  async start() {
    await pool.query('SELECT 1 FROM celeriac.projector_offsets LIMIT 1');
  },
  async stop() {
    await pool.end();
  },
};

await runUntilSignal({
  logger,
  // Stopped in reverse: the consumer finishes its batch and commits before the pool closes.
  components: [database, ops, sweeper, retention, projector],
  shutdownDeadlineMs: 20_000,
  onShutdownBegin: () => {
    shuttingDown = true;
  },
});
