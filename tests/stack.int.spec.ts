import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeEvent, encodeEvent } from '@celeriac/event-log/codec';
import { createKafka } from '@celeriac/event-log/kafka';
import { silentLogger } from '@celeriac/service-runtime/logger';
import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCeleryWorker } from './harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from './harness/isolation';
import { readStackEnv } from './harness/stack-env';
import { waitFor } from './harness/wait-for';

const run = promisify(execFile);

// The foundation: every real server the product lives on answers, and the harness isolates a test file.
describe('the local stack', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;

  beforeAll(async () => {
    [database, topics, vhost] = await Promise.all([
      createTestDatabase(),
      createTestTopics(['events']),
      createTestVhost(),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([database?.drop(), topics?.remove(), vhost?.remove()]);
  });

  it('round-trips a CeleryEvent through Kafka, keyed by connection', async () => {
    const kafka = createKafka({
      clientId: 'stack-test',
      brokers: readStackEnv().kafkaBrokers,
      logger: silentLogger,
    });
    const topic = topics.topics.events as string;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `stack-test-${Date.now()}` });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      const event = {
        eventId: 'e1',
        connectionId: 'conn-a',
        type: 'task-received',
        hostname: 'celery@w1',
        timestamp: 1700000000.5,
        receivedAtMs: 1700000000600,
        body: { $case: 'task' as const, value: { uuid: 't-1', name: 'tasks.add', args: '(2, 2)' } },
        extraJson: '{}',
      };
      await producer.send({ topic, acks: -1, messages: [{ key: 'conn-a', value: encodeEvent(event) }] });
      const received: { key: string; value: ReturnType<typeof decodeEvent> }[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: String(message.key), value: decodeEvent(message.value ?? Buffer.alloc(0)) });
        },
      });
      await waitFor('the event to come back from Kafka', () => received.length > 0);
      expect(received).toEqual([{ key: 'conn-a', value: event }]);
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    }
  });

  it('gives each test file its own migrated PostgreSQL database', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>('SELECT current_database() AS datname');
      expect(rows[0]?.datname).toBe(database.name);
      await client.query(
        `INSERT INTO celeriac.task_types (connection_id, name, first_seen_at) VALUES (gen_random_uuid(), 'tasks.add', now())`,
      );
      const types = await client.query<{ name: string }>('SELECT name FROM celeriac.task_types');
      expect(types.rows.map((row) => row.name)).toEqual(['tasks.add']);
    } finally {
      await client.end();
    }
  });

  it('publishes and consumes through RabbitMQ in a vhost of its own', async () => {
    const connection = await amqp.connect(vhost.url);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      channel.sendToQueue(queue, Buffer.from('{"hello":"celeriac"}'), { contentType: 'application/json' });
      const message = await waitFor('the message to come back', () => channel.get(queue, { noAck: true }));
      expect(JSON.parse(message.content.toString())).toEqual({ hello: 'celeriac' });
    } finally {
      await connection.close();
    }
  });

  it('runs a real Celery worker that executes a task sent by a real Celery client', async () => {
    const worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'stack' });
    try {
      const stack = readStackEnv();
      const { stdout } = await run(
        stack.python,
        ['-c', "from demo_app import app; print(app.send_task('tasks.add', (2, 3)).get(timeout=30))"],
        { cwd: stack.celeryAppDir, env: { ...process.env, CELERY_BROKER_URL: vhost.url }, timeout: 60_000 },
      );
      expect(stdout.trim()).toBe('5');
      expect(worker.output()).toMatch(/Task tasks\.add\[[0-9a-f-]+\] succeeded/);
    } finally {
      await worker.stop();
    }
  });
});
