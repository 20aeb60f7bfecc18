import { readFileSync } from 'node:fs';
import { eventIdOf } from '@celeriac/celery-domain/normalize';
import { ControlClient, type NodeReplies } from '@celeriac/proto/control';
import { controlTokenInterceptor } from '@celeriac/proto/control-auth';
import { INSPECT_SNAPSHOT_TYPE } from '@celeriac/proto/topics';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { TEST_CONTROL_TOKEN } from '@celeriac/tests/harness/service-process';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import * as grpc from '@grpc/grpc-js';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  readDeadLetters,
  readEvents,
  sendTraffic,
  spawnCollector,
  tapCeleryEvents,
  waitForEventQueue,
} from '../testing/collector-harness';
import { HOSTILE_KINDS, JUNK_HOSTS, type Outcome } from '../testing/hostile-messages';
import { startPidboxAttacker } from '../testing/pidbox-attacker';

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// A real collector and a real Celery worker whose broker URL carries a password, fed hostile
// broker input on the same vhost while real traffic runs.
describe('collector on hostile broker input', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>>;
  let events: Awaited<ReturnType<typeof readEvents>>;
  let deadLetters: Awaited<ReturnType<typeof readDeadLetters>>;
  let connectionId: string;
  let brokerUrl: string;
  let peakRssMb = 0;
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    world = await createWorld({ connectionOptions: { inspectIntervalMs: 2000, queueSampleIntervalMs: 0 } });
    connectionId = world.connectionIds[0]!;
    brokerUrl = world.vhosts[0]!.url;
    tap = await tapCeleryEvents(brokerUrl);
    events = await readEvents(world.eventsTopic);
    deadLetters = await readDeadLetters(world.deadLetterTopic);
    collector = await spawnCollector(world.env);
    sampler = setInterval(() => {
      if (collector.child.pid && collector.child.exitCode === null)
        peakRssMb = Math.max(peakRssMb, rssMb(collector.child.pid));
    }, 100);
    await waitForEventQueue(brokerUrl, connectionId);
    // Failover list: kombu reports every URL, password included, in stats' broker.alternates.
    worker = await startCeleryWorker({ brokerUrl: `${brokerUrl};${brokerUrl}`, concurrency: 2 });
  });
  afterAll(async () => {
    clearInterval(sampler);
    await worker?.kill();
    await collector?.kill();
    await events?.stop();
    await deadLetters?.stop();
    await tap?.close().catch(() => undefined);
    await world?.cleanup();
  });

  const realEventsArrived = async (label: string) => {
    const real = tap.elements.filter((element) => !JUNK_HOSTS.has(String(element.hostname)));
    const expected = new Set(real.map((element) => eventIdOf(connectionId, element)));
    expect(expected.size).toBeGreaterThan(0);
    await waitFor(label, () => {
      const seen = new Set(events.records.map((record) => record.value.eventId));
      return [...expected].every((id) => seen.has(id));
    });
  };
  const deadLettersOf = (n: number) =>
    deadLetters.records.filter((record) => JSON.parse(record.value.headersJson).n === n);

  it('dead-letters a ~300 KB task.multi of invalid elements once, acks it, and stays small', async () => {
    const bad = Array.from({ length: 900 }, (_, i) => ({
      type: 'task-started',
      hostname: 'junk@test',
      timestamp: 1,
      pad: 'x'.repeat(300 + (i % 7)),
    }));
    const body = Buffer.from(JSON.stringify(bad));
    expect(body.length).toBeGreaterThan(280_000);
    const traffic = sendTraffic(brokerUrl, ['--count', '100', '--rate', '100', '--mix', 'add=100']);
    const connection = await amqp.connect(brokerUrl);
    const channel = await connection.createConfirmChannel();
    channel.publish('celeryev', 'task.multi', body, {
      contentType: 'application/json',
      headers: { hostname: 'junk@test', n: -1 },
    });
    await channel.waitForConfirms();
    await connection.close();
    await traffic;

    await waitFor('its dead letter', () => deadLettersOf(-1).length === 1, { timeoutMs: 30_000 });
    const [record] = deadLettersOf(-1);
    expect(record!.value.reason).toMatch(/^missing-uuid: 900 of 900 elements rejected: element 0: /);
    expect(record!.value.reason.length).toBeLessThanOrEqual(4096);
    await realEventsArrived('real events around it');
    // Acked: nothing of it is left on the collector's queue, and it was not dead-lettered twice.
    const check = await amqp.connect(brokerUrl);
    const checkChannel = await check.createChannel();
    await waitFor('the event queue drained', async () => {
      const queue = await checkChannel.checkQueue(`celeriac.events.${connectionId}`);
      return queue.messageCount === 0;
    });
    await check.close();
    expect(deadLettersOf(-1)).toHaveLength(1);
    expect(collector.child.exitCode).toBeNull();
    expect(peakRssMb).toBeLessThan(400);
  });

  it('takes 10,000 malformed messages of many kinds mixed into real traffic', async () => {
    const traffic = sendTraffic(brokerUrl, ['--count', '300', '--rate', '100', '--mix', 'add=70,error=30']);
    const connection = await amqp.connect(brokerUrl);
    const channel = await connection.createConfirmChannel();
    const outcomes = new Map<number, Outcome>();
    for (let n = 0; n < 10_000; n++) {
      const kind = HOSTILE_KINDS[n % HOSTILE_KINDS.length]!;
      const message = kind.make(n);
      outcomes.set(n, kind.outcome);
      // Not on worker.*: Celery's own gossip consumer reads those, and junk there (a 1e308
      // timestamp) crashes the real worker, which is Celery's weakness, not the collector's.
      channel.publish('celeryev', n % 3 ? 'task.multi' : 'junk.key', message.body, {
        contentType: message.contentType ?? 'application/json',
        headers: { hostname: 'junk@test', n, kind: kind.name },
      });
      if (n % 500 === 499) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
    await connection.close();
    await traffic;

    const dead = [...outcomes].filter(([, outcome]) => outcome !== 'event').map(([n]) => n);
    const normalized = [...outcomes].filter(([, outcome]) => outcome !== 'dead').map(([n]) => `junk-${n}`);
    await waitFor('a dead letter per unusable message', () => deadLetters.records.length >= dead.length + 1, {
      timeoutMs: 120_000,
    });
    const perMessage = new Map<number, number>();
    for (const record of deadLetters.records) {
      const n = JSON.parse(record.value.headersJson).n as number;
      perMessage.set(n, (perMessage.get(n) ?? 0) + 1);
    }
    for (const n of dead) expect(perMessage.get(n), `message ${n}`).toBe(1);
    // Nothing else was dead-lettered: no real Celery message, no usable junk.
    const unexpected = deadLetters.records.filter((r) => {
      const n = JSON.parse(r.value.headersJson).n as unknown;
      return n !== -1 && (typeof n !== 'number' || outcomes.get(n) === 'event');
    });
    expect(unexpected.map((r) => [r.value.headersJson, r.value.reason])).toEqual([]);
    expect(deadLetters.records).toHaveLength(dead.length + 1);
    await waitFor(
      'the events of every usable junk element',
      () => {
        const uuids = new Set(
          events.records.map((r) => (r.value.body?.$case === 'task' ? r.value.body.value.uuid : '')),
        );
        return normalized.every((uuid) => uuids.has(uuid));
      },
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'every task to finish',
      () => tap.elements.filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >= 400,
      { timeoutMs: 60_000 },
    );
    await realEventsArrived('every real event');
    expect(collector.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${collector.opsPort}/healthz`)).status).toBe(200);
    expect(peakRssMb).toBeLessThan(400);
    console.info(`collector peak RSS ${peakRssMb.toFixed(0)} MB over 10,001 hostile messages`);
  });

  it('keeps inspect snapshots bounded and free of credentials under hostile pidbox replies', async () => {
    const attacker = await startPidboxAttacker(brokerUrl);
    const since = events.records.length;
    const client = new ControlClient(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createInsecure(), {
      interceptors: [controlTokenInterceptor(TEST_CONTROL_TOKEN)],
    });
    try {
      await waitFor('requests answered by the attacker', () => attacker.requestsSeen >= 6, {
        timeoutMs: 60_000,
      });
      // A Control inspect while the attacker answers too: it completes, within the reply budget.
      const started = Date.now();
      const replies = await new Promise<NodeReplies>((resolve, reject) =>
        client.inspect(
          { connectionId, method: 'ping', argumentsJson: '{}', destination: [], timeoutSeconds: 1 },
          (error, value) => (error ? reject(error) : resolve(value)),
        ),
      );
      expect(Date.now() - started).toBeLessThan(25_000);
      const bytes = replies.replies.reduce((sum, r) => sum + r.node.length + r.replyJson.length, 0);
      expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(replies.replies.some((r) => r.node === 'evil@big' || r.node === 'evil@deep')).toBe(false);
    } finally {
      client.close();
      await attacker.stop();
    }
    const snapshotsNow = () =>
      events.records
        .slice(since)
        .filter((r) => r.value.type === INSPECT_SNAPSHOT_TYPE && r.value.body?.$case === 'inspect');
    await waitFor('a stats snapshot with the real worker after the attack', () =>
      snapshotsNow().some(
        (r) =>
          r.value.body?.$case === 'inspect' &&
          r.value.body.value.method === 'stats' &&
          Object.hasOwn(r.value.body.value.repliesJson, worker!.nodeName),
      ),
    );
    const password = decodeURIComponent(new URL(brokerUrl).password);
    for (const record of snapshotsNow()) {
      if (record.value.body?.$case !== 'inspect') continue;
      const text = JSON.stringify(record.value.body.value.repliesJson);
      expect(text.length).toBeLessThan(1024 * 1024);
      expect(text).not.toContain(`:${password}@`);
    }
    const stats = snapshotsNow().find(
      (r) =>
        r.value.body?.$case === 'inspect' &&
        r.value.body.value.method === 'stats' &&
        Object.hasOwn(r.value.body.value.repliesJson, worker!.nodeName),
    );
    const reply = stats?.value.body?.$case === 'inspect' ? stats.value.body.value.repliesJson : {};
    const workerStats = JSON.parse(reply[worker!.nodeName] ?? '{}') as {
      broker?: { alternates?: string[]; userid?: string };
    };
    expect(workerStats.broker?.alternates?.length).toBeGreaterThan(0);
    for (const url of workerStats.broker?.alternates ?? []) expect(url).toMatch(/^amqp:\/\/\*{8}@/);
    expect(collector.child.exitCode).toBeNull();
    expect(peakRssMb).toBeLessThan(400);
  });
});
