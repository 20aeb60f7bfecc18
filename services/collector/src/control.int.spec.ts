import { randomUUID } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import {
  type BroadcastRequest,
  ControlClient,
  type InspectRequest,
  type NodeReplies,
  type QueueStatsReply,
  type QueueStatsRequest,
  type SendTaskReply,
  type SendTaskRequest,
} from '@celeriac/proto/control';
import { controlTokenInterceptor } from '@celeriac/proto/control-auth';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { TEST_CONTROL_TOKEN } from '@celeriac/tests/harness/service-process';
import { TEST_BROKER_KINDS } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  SECRET_KEY,
  spawnCollector,
  tapCeleryEvents,
  waitForEventQueue,
} from '../testing/collector-harness';

const settle =
  <T>(resolve: (value: T) => void, reject: (error: unknown) => void) =>
  (error: grpc.ServiceError | null, value: T) =>
    error ? reject(error) : resolve(value);
const rpc = (client: ControlClient) => ({
  broadcast: (request: BroadcastRequest) =>
    new Promise<NodeReplies>((ok, fail) => client.broadcast(request, settle(ok, fail))),
  inspect: (request: InspectRequest) =>
    new Promise<NodeReplies>((ok, fail) => client.inspect(request, settle(ok, fail))),
  sendTask: (request: SendTaskRequest) =>
    new Promise<SendTaskReply>((ok, fail) => client.sendTask(request, settle(ok, fail))),
  queueStats: (request: QueueStatsRequest) =>
    new Promise<QueueStatsReply>((ok, fail) => client.queueStats(request, settle(ok, fail))),
});
async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('the call succeeded');
}
const byNode = (replies: NodeReplies) =>
  Object.fromEntries(replies.replies.map((r) => [r.node, JSON.parse(r.replyJson) as unknown]));

/** A broker of each kind that nothing listens on. */
const DOWN_URL = { amqp: 'amqp://celeriac:celeriac@127.0.0.1:1/', redis: 'redis://127.0.0.1:1/0' };

// The Control gRPC service of a real collector, against a real Celery 5.5 worker on each broker.
describe.each(TEST_BROKER_KINDS)('collector Control service (%s)', (broker) => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess;
  let worker: CeleryWorker;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>>;
  let client: ControlClient;
  let connectionId: string;
  let foreignId: string;
  let downId: string;

  beforeAll(async () => {
    world = await createWorld({
      broker,
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    connectionId = world.connectionIds[0]!;
    const box = createSecretBox(SECRET_KEY);
    foreignId = await world.store.insertConnection({
      name: 'foreign',
      brokerUrlEncrypted: box.seal(world.vhosts[0]!.url),
    });
    // Another replica holds `foreign` (long lease); our collector must refuse it and name the owner.
    await world.store.claimLeases({
      ownerId: 'other-replica',
      grpcAddress: '10.9.9.9:50051',
      ttlMs: 600_000,
      limit: 2,
    });
    await world.store.releaseLeases('other-replica', [connectionId]);
    downId = await world.store.insertConnection({
      name: 'down',
      brokerUrlEncrypted: box.seal(DOWN_URL[broker]),
    });
    tap = await tapCeleryEvents(world.vhosts[0]!.url);
    collector = await spawnCollector(world.env);
    await waitForEventQueue(world.vhosts[0]!.url, connectionId);
    await waitFor(
      'the down connection leased',
      async () => (await world.store.leaseOwner(downId))?.ownerId === collector.id,
    );
    worker = await startCeleryWorker({ brokerUrl: world.vhosts[0]!.url, concurrency: 2 });
    client = new ControlClient(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createInsecure(), {
      interceptors: [controlTokenInterceptor(TEST_CONTROL_TOKEN)],
    });
  });
  afterAll(async () => {
    client?.close();
    await worker?.kill();
    await collector?.kill();
    await tap?.close().catch(() => undefined);
    await world?.cleanup();
  });

  const broadcast = (command: string, args: object, reply = true) =>
    rpc(client)
      .broadcast({
        connectionId,
        command,
        argumentsJson: JSON.stringify(args),
        destination: [worker.nodeName],
        reply,
        timeoutSeconds: 3,
      })
      .then(byNode);
  const inspect = (method: string, args: object = {}) =>
    rpc(client)
      .inspect({
        connectionId,
        method,
        argumentsJson: JSON.stringify(args),
        destination: [worker.nodeName],
        timeoutSeconds: 3,
      })
      .then(byNode);

  it('pings and inspects the worker', async () => {
    expect(await broadcast('ping', {})).toEqual({ [worker.nodeName]: { ok: 'pong' } });
    expect(await inspect('ping')).toEqual({ [worker.nodeName]: { ok: 'pong' } });
    const registered = (await inspect('registered'))[worker.nodeName] as string[];
    expect(registered).toContain('tasks.add');
    const stats = (await inspect('stats'))[worker.nodeName] as { pool: { 'max-concurrency': number } };
    expect(stats.pool['max-concurrency']).toBe(2);
    const queues = await rpc(client).queueStats({ connectionId, queues: [] });
    expect(queues.queues).toContainEqual({ name: 'celery', messages: 0, consumers: 1 });
  });

  it('refuses calls without the Control token or with a wrong one, before touching the broker', async () => {
    const address = `127.0.0.1:${collector.grpcPort}`;
    const anonymous = new ControlClient(address, grpc.credentials.createInsecure());
    const wrong = new ControlClient(address, grpc.credentials.createInsecure(), {
      interceptors: [controlTokenInterceptor(`${TEST_CONTROL_TOKEN}x`)],
    });
    try {
      for (const other of [anonymous, wrong]) {
        const task = { connectionId, taskName: 'tasks.add', argsJson: '[1, 1]', kwargsJson: '{}' };
        const refused = await failure(rpc(other).sendTask(task));
        expect(refused.code).toBe(grpc.status.UNAUTHENTICATED);
        const ping = { connectionId, command: 'ping', argumentsJson: '{}', destination: [], reply: true };
        expect((await failure(rpc(other).broadcast({ ...ping, timeoutSeconds: 1 }))).code).toBe(
          grpc.status.UNAUTHENTICATED,
        );
      }
    } finally {
      anonymous.close();
      wrong.close();
    }
    expect(tap.elements.some((e) => e.type === 'task-sent' && e.args === '(1, 1)')).toBe(false);
    expect(await broadcast('ping', {})).toEqual({ [worker.nodeName]: { ok: 'pong' } });
  });

  // The local Redis has no password, so only the AMQP broker has credentials to scrub.
  if (broker === 'amqp')
    it('scrubs broker credentials out of stats replies', async () => {
      expect(world.vhosts[0]!.url).toMatch(/^amqp:\/\/[^:]+:[^@]+@/);
      const stats = (await inspect('stats'))[worker.nodeName] as { broker: Record<string, unknown> };
      // kombu leaves the password out of `stats` but reports the user; alternates carry full URLs.
      expect(stats.broker.userid).toBe('********');
      expect(stats.broker.password ?? '********').toBe('********');
      const password = decodeURIComponent(new URL(world.vhosts[0]!.url).password);
      expect(JSON.stringify(stats)).not.toContain(`:${password}@`);
      expect(JSON.stringify(stats)).not.toContain(`"${password}"`);
    });

  it('sends a task the worker executes, with integer headers arriving as integers', async () => {
    const reply = await rpc(client).sendTask({
      connectionId,
      taskName: 'tasks.add',
      argsJson: '[2, 2]',
      kwargsJson: '{}',
      // 300 would reach py-amqp as the string ',' if amqplib picked the int16 tag (see int32Header in
      // task-message.ts).
      retries: 300,
      timeLimit: 300,
      softTimeLimit: 200.5,
    });
    const received = await waitFor('task-received of the sent task', () =>
      tap.elements.find((e) => e.type === 'task-received' && e.uuid === reply.taskId),
    );
    expect(received.retries).toBe(300);
    expect(received.name).toBe('tasks.add');
    expect(received.args).toBe('(2, 2)');
    const succeeded = await waitFor('task-succeeded of the sent task', () =>
      tap.elements.find((e) => e.type === 'task-succeeded' && e.uuid === reply.taskId),
    );
    expect(succeeded.result).toBe('4');
    // As a Python client with task_send_sent_event does, so monitors see the task before a worker does.
    const sent = tap.elements.find((e) => e.type === 'task-sent' && e.uuid === reply.taskId);
    expect(sent).toMatchObject({
      name: 'tasks.add',
      args: '(2, 2)',
      retries: 300,
      queue: 'celery',
      hostname: `celeriac@${collector.id}`,
    });
  });

  it('changes rate and time limits and grows the pool', async () => {
    expect(await broadcast('rate_limit', { task_name: 'tasks.add', rate_limit: '100/m' })).toEqual({
      [worker.nodeName]: { ok: 'new rate limit set successfully' },
    });
    expect(await broadcast('time_limit', { task_name: 'tasks.sleep', soft: 10, hard: 20 })).toEqual({
      [worker.nodeName]: { ok: 'time limits set successfully' },
    });
    const registered = (await inspect('registered', { taskinfoitems: ['rate_limit'] }))[
      worker.nodeName
    ] as string[];
    expect(registered).toContain('tasks.add [rate_limit=100/m]');
    expect(await broadcast('pool_grow', { n: 1 })).toEqual({ [worker.nodeName]: { ok: 'pool will grow' } });
    await waitFor('a third pool process', async () => {
      const stats = (await inspect('stats'))[worker.nodeName] as { pool: { processes: number[] } };
      return stats.pool.processes.length === 3;
    });
  });

  it('revokes a running task with terminate', async () => {
    const { taskId } = await rpc(client).sendTask({
      connectionId,
      taskName: 'tasks.sleep',
      argsJson: '[30]',
      kwargsJson: '{}',
    });
    await waitFor('the task to start', () =>
      tap.elements.some((e) => e.type === 'task-started' && e.uuid === taskId),
    );
    const replies = await broadcast('revoke', { task_id: taskId, terminate: true, signal: 'SIGKILL' });
    expect(replies).toEqual({ [worker.nodeName]: { ok: `terminate: ${taskId}` } });
    const revoked = await waitFor('task-revoked', () =>
      tap.elements.find((e) => e.type === 'task-revoked' && e.uuid === taskId),
    );
    expect(revoked.terminated).toBe(true);
  });

  it('rejects bad arguments before anything reaches the broker', async () => {
    const base = { connectionId, destination: [], reply: true, timeoutSeconds: 1 };
    for (const request of [
      { ...base, command: 'pool_grow', argumentsJson: '{"n":"two"}' },
      { ...base, command: 'format_disk', argumentsJson: '{}' },
      { ...base, command: 'enable_events', argumentsJson: '{"extra":1}' },
      { ...base, command: 'revoke', argumentsJson: '{"task_id":"x","signal":"sigterm"}' },
      { ...base, command: 'ping', argumentsJson: '{not json' },
      { ...base, connectionId: 'not-a-uuid', command: 'ping', argumentsJson: '{}' },
    ]) {
      expect((await failure(rpc(client).broadcast(request))).code, request.argumentsJson).toBe(
        grpc.status.INVALID_ARGUMENT,
      );
    }
    const badTask = await failure(
      rpc(client).sendTask({ connectionId, taskName: 'tasks.add', argsJson: '{}', kwargsJson: '{}' }),
    );
    expect(badTask.code).toBe(grpc.status.INVALID_ARGUMENT);
    const missingQueue = await failure(
      rpc(client).sendTask({
        connectionId,
        taskName: 'tasks.add',
        argsJson: '[]',
        kwargsJson: '{}',
        queue: 'nope',
      }),
    );
    expect(missingQueue.code).toBe(grpc.status.INVALID_ARGUMENT);
    const missingExchange = await failure(
      rpc(client).sendTask({
        connectionId,
        taskName: 'tasks.add',
        argsJson: '[]',
        kwargsJson: '{}',
        exchange: 'nope',
        routingKey: 'celery',
      }),
    );
    expect(missingExchange.code).toBe(grpc.status.INVALID_ARGUMENT);
    // The collector's session survived all of that.
    expect(await broadcast('ping', {})).toEqual({ [worker.nodeName]: { ok: 'pong' } });
  });

  it('answers NOT_FOUND, FAILED_PRECONDITION with the owner, and UNAVAILABLE', async () => {
    const ping = (id: string) =>
      rpc(client).inspect({
        connectionId: id,
        method: 'ping',
        argumentsJson: '{}',
        destination: [],
        timeoutSeconds: 1,
      });
    expect((await failure(ping(randomUUID()))).code).toBe(grpc.status.NOT_FOUND);
    const foreign = await failure(ping(foreignId));
    expect(foreign.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(foreign.metadata.get('celeriac-owner')).toEqual(['10.9.9.9:50051']);
    expect((await failure(ping(downId))).code).toBe(grpc.status.UNAVAILABLE);
  });
});
