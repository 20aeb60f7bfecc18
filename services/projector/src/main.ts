import { createKafka } from '@celeriac/event-log/kafka';
import { kafkaSecurityOf } from '@celeriac/event-log/kafka-config';
import { kafkaTopicCheck } from '@celeriac/event-log/kafka-probe';
import { parseConfig } from '@celeriac/service-runtime/config';
import { createDependencyProbe, firstNotReady } from '@celeriac/service-runtime/dependency-probe';
import { type Component, runUntilSignal } from '@celeriac/service-runtime/lifecycle';
import { createLogger } from '@celeriac/service-runtime/logger';
import { createOpsServer } from '@celeriac/service-runtime/ops-server';
import { createPgPool, pgTimeoutsOf } from '@celeriac/service-runtime/pg-pool';
import { supervised } from '@celeriac/service-runtime/supervised';
import { projectorConfigSchema } from './config';
import { createProjectorMetrics, DEFAULT_LABEL_CAPS } from './metrics';
import { createPartitionManager } from './partitions';
import { createProjectionStore } from './projection-store';
import { createProjector } from './projector';
import { createRetention } from './retention';
import { createSweeper } from './sweeper';

// Composition root: configuration, dependencies, lifecycle. No logic lives here.
const config = parseConfig(projectorConfigSchema, process.env);
const logger = createLogger({ service: 'projector', level: config.CELERIAC_LOG_LEVEL });
const now = () => Date.now();
const pool = createPgPool({
  connectionString: config.CELERIAC_DATABASE_URL,
  max: config.CELERIAC_PROJECTOR_PG_POOL,
  timeouts: pgTimeoutsOf(config),
  logger,
  applicationName: 'celeriac-projector',
});
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
  store: createProjectionStore(pool),
  partitions,
  metrics,
  logger,
  now,
  groupId: config.CELERIAC_PROJECTOR_GROUP,
  topic: config.CELERIAC_EVENTS_TOPIC,
  batchSize: config.CELERIAC_PROJECTOR_BATCH_SIZE,
  concurrency: config.CELERIAC_PROJECTOR_CONCURRENCY,
});
const probeTiming = {
  intervalMs: config.CELERIAC_DEPENDENCY_CHECK_MS,
  timeoutMs: config.CELERIAC_DEPENDENCY_CHECK_TIMEOUT_MS,
};
const kafkaCheck = kafkaTopicCheck(kafka, config.CELERIAC_EVENTS_TOPIC);
const probes = [
  createDependencyProbe({
    dependency: 'postgresql',
    check: async () => void (await pool.query('SELECT 1 FROM celeriac.projector_offsets LIMIT 1')),
    logger,
    ...probeTiming,
  }),
  createDependencyProbe({ dependency: 'kafka', check: kafkaCheck.check, logger, ...probeTiming }),
];
// Kafka or PostgreSQL may be down when a replica starts, or kafkajs may give up on the consumer
// later: both are retried with capped backoff while the process stays up and /readyz says why.
const consumer = supervised(projector, { logger, checkMs: 5_000 });
let shuttingDown = false;
const ops = createOpsServer({
  port: config.CELERIAC_PROJECTOR_OPS_PORT,
  host: config.CELERIAC_PROJECTOR_OPS_HOST,
  registry: metrics.registry,
  logger,
  readiness: {
    notReadyReason: () =>
      firstNotReady([
        () => (shuttingDown ? 'shutting down' : null),
        ...probes.map((probe) => probe.notReadyReason),
        () => (consumer.isRunning ? null : 'consumer not running'),
        () => (projector.joined ? null : 'not in consumer group yet'),
      ]),
  },
});
const clients: Component = {
  name: 'clients',
  isRunning: true,
  async start() {},
  async stop() {
    await kafkaCheck.close();
    await pool.end();
  },
};

await runUntilSignal({
  logger,
  // Ops first, so /readyz explains a dependency that is down while the others retry their start.
  // Stopped in reverse: the consumer finishes its batch and commits before the pool closes.
  components: [
    clients,
    ...probes,
    ops,
    supervised(sweeper, { logger }),
    supervised(retention, { logger }),
    consumer,
  ],
  shutdownDeadlineMs: 20_000,
  onShutdownBegin: () => {
    shuttingDown = true;
  },
});
