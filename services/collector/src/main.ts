import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { createKafka } from '@celeriac/event-log/kafka';
import { kafkaTopicCheck } from '@celeriac/event-log/kafka-probe';
import { createEventLogProducer } from '@celeriac/event-log/producer';
import { parseConfig } from '@celeriac/service-runtime/config';
import { createDependencyProbe, firstNotReady } from '@celeriac/service-runtime/dependency-probe';
import { type Component, runUntilSignal } from '@celeriac/service-runtime/lifecycle';
import { createLogger } from '@celeriac/service-runtime/logger';
import { createOpsServer } from '@celeriac/service-runtime/ops-server';
import { createCollectorStore } from './collector-store';
import { collectorConfigSchema } from './config';
import { createConnectionRegistry } from './connection-registry';
import { createControlService } from './control-service';
import { createGrpcServer } from './grpc-server';
import { createLeaseManager } from './lease-manager';
import { createCollectorMetrics } from './metrics';

// Composition root: configuration, wiring and lifecycle only.
const config = parseConfig(collectorConfigSchema, process.env);
const logger = createLogger({ service: 'collector', level: config.logLevel }).child({
  collectorId: config.collectorId,
});

const clock = () => Date.now();
const metrics = createCollectorMetrics();
const store = createCollectorStore({ databaseUrl: config.databaseUrl, logger, timeouts: config.pgTimeouts });
const kafka = createKafka({
  clientId: `celeriac-collector-${config.collectorId}`,
  brokers: config.kafkaBrokers,
  security: config.kafkaSecurity,
  logger,
});
const producer = createEventLogProducer({ kafka, logger });
const kafkaCheck = kafkaTopicCheck(kafka, config.eventsTopic);
const probes = [
  createDependencyProbe({ dependency: 'postgresql', check: store.ping, logger, ...config.dependencyCheck }),
  createDependencyProbe({ dependency: 'kafka', check: kafkaCheck.check, logger, ...config.dependencyCheck }),
];
const registry = createConnectionRegistry({
  store,
  runnerDeps: {
    secretBox: createSecretBox(config.secretKey, config.previousSecretKeys),
    producer,
    gapStore: store,
    settings: {
      collectorId: config.collectorId,
      eventsTopic: config.eventsTopic,
      deadLetterTopic: config.deadLetterTopic,
      prefetch: config.prefetch,
      maxBodyBytes: config.maxBodyBytes,
      maxListItems: config.maxListItems,
      batchMaxEvents: config.batchMaxEvents,
      batchMaxBytes: config.batchMaxBytes,
      batchLingerMs: config.batchLingerMs,
      maxBufferedBytes: config.maxBufferedBytes,
      gapsPerConnection: config.gapsPerConnection,
      enableEvents: config.enableEvents,
      drainTimeoutMs: 10_000,
    },
    metrics,
    logger,
    clock,
  },
});
const grpcServer = createGrpcServer({
  port: config.grpcPort,
  host: config.grpcHost,
  token: config.controlToken,
  control: createControlService({ registry, store, origin: `celeriac@${config.collectorId}`, clock }),
  metrics,
  logger,
});
const leases = createLeaseManager({
  store,
  ownerId: config.collectorId,
  // With port 0 the real port is known only after binding.
  grpcAddress: () => config.grpcAdvertise.replace(/:0$/, `:${grpcServer.port}`),
  ttlMs: config.leaseTtlMs,
  renewMs: config.leaseRenewMs,
  clock,
  logger,
  onAcquired: async (id) => {
    await registry.acquire(id);
    metrics.ownedConnections.set(registry.size);
  },
  onLost: async (id) => {
    await registry.release(id);
    metrics.ownedConnections.set(registry.size);
  },
});
let shuttingDown = false;
const ops = createOpsServer({
  port: config.opsPort,
  host: '0.0.0.0',
  registry: metrics.registry,
  readiness: {
    notReadyReason: () =>
      firstNotReady([
        () => (shuttingDown ? 'shutting down' : null),
        ...probes.map((probe) => probe.notReadyReason),
        () => (producer.isRunning ? null : 'kafka producer not connected'),
      ]),
  },
  logger,
});
const clients: Component = {
  name: 'clients',
  isRunning: true,
  start: async () => undefined,
  stop: async () => {
    await kafkaCheck.close();
    await store.close();
  },
};

// Ops first so /healthz answers while Kafka is still being reached (/readyz says why not ready); the
// producer retries Kafka by itself, and a lease round that fails on PostgreSQL is retried next round.
// Stopped in reverse: leases first (cancel consumers, ack what Kafka took, release), producer late.
await runUntilSignal({
  logger,
  components: [clients, ...probes, ops, producer, grpcServer, leases],
  shutdownDeadlineMs: 30_000,
  onShutdownBegin: () => {
    shuttingDown = true;
  },
});
