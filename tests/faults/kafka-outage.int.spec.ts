import { tapCeleryEvents } from '@celeriac/collector/testing/collector-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CeleryWorker, startCeleryWorker } from '../harness/celery-worker';
import { createTestDatabase, createTestVhost } from '../harness/isolation';
import { type PrivateKafka, startPrivateKafka } from '../harness/private-kafka';
import { type FaultStack, startFaultStack } from './fault-stack';
import { runOutage } from './outage-scenario';

// Kafka dies (kill -9) while a real worker is busy. Collector, projector and gateway share a Kafka
// broker of this test's own; PostgreSQL and RabbitMQ are the shared ones (own database and vhost).
describe('the whole stack across a Kafka outage', () => {
  let kafka: PrivateKafka;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let stack: FaultStack | undefined;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>> | undefined;

  beforeAll(async () => {
    [kafka, database, vhost] = await Promise.all([
      startPrivateKafka(),
      createTestDatabase(),
      createTestVhost(),
    ]);
    stack = await startFaultStack({
      databaseUrl: database.url,
      kafkaBrokers: kafka.brokers,
      brokerUrl: vhost.url,
    });
    tap = await tapCeleryEvents(vhost.url);
    worker = await startCeleryWorker({ brokerUrl: vhost.url, concurrency: 2 });
  }, 300_000);

  afterAll(async () => {
    await worker?.kill();
    await tap?.close().catch(() => undefined);
    await kafka?.start().catch(() => undefined);
    await stack?.stop();
    await Promise.allSettled([database?.drop(), vhost?.remove()]);
    await kafka?.remove();
  }, 120_000);

  it('keeps every service up and not ready while Kafka is down, then stores every event exactly once', {
    timeout: 170_000,
  }, async () => {
    await runOutage({
      stack: stack as FaultStack,
      tap: tap as NonNullable<typeof tap>,
      brokerUrl: vhost.url,
      databaseUrl: database.url,
      dependency: 'kafka',
      takeDown: () => kafka.stop('SIGKILL'),
      bringBack: () => kafka.start(),
      // The read API does not need Kafka: it keeps answering from PostgreSQL.
      checkApiDuringOutage: async (response) => expect(response.status).toBe(200),
      readyAgainMs: 90_000,
    });
  });
});
