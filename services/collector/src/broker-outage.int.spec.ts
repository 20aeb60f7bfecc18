import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  publishEvents,
  readEvents,
  spawnCollector,
  waitForEventQueue,
} from '../testing/collector-harness';

const run = promisify(execFile);

// The broker drops the collector's connection (only this test's vhost, so the shared RabbitMQ keeps
// serving everyone else): events published meanwhile wait in the durable queue and arrive after the
// collector reconnects with backoff.
describe('collector across a broker connection loss', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess;
  let kafka: Awaited<ReturnType<typeof readEvents>>;

  beforeAll(async () => {
    world = await createWorld({ connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 } });
    kafka = await readEvents(world.eventsTopic);
    collector = await spawnCollector(world.env);
  });
  afterAll(async () => {
    await collector?.kill();
    await kafka?.stop();
    await world?.cleanup();
  });

  it('reconnects and delivers what was published while it was disconnected', async () => {
    const connectionId = world.connectionIds[0]!;
    const { url, vhost } = world.vhosts[0]!;
    await waitForEventQueue(url, connectionId);
    await publishEvents(url, 100);
    await waitFor('the first 100 events', () => kafka.records.length >= 100);

    await run('rabbitmqctl', ['-q', 'close_all_connections', '-p', vhost, 'celeriac outage test']);
    await publishEvents(url, 100);
    await waitForEventQueue(url, connectionId);
    await waitFor('all 200 events after the reconnect', () => kafka.records.length >= 200, {
      timeoutMs: 60_000,
    });
    expect(new Set(kafka.records.map((record) => record.value.eventId)).size).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${collector.opsPort}/metrics`)).text();
    expect(
      Number(/^celeriac_collector_broker_reconnects_total (\d+)/m.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(1);
    expect(collector.child.exitCode).toBeNull();
  });
});
