import amqp from 'amqplib';
import type { Random } from './seeded-random';

/** Put in the fake `stats` replies: no answer of the gateway may ever show it. */
export const LEAK_MARKER = 'hostile-secret-pw';

function deep(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const node = (name: string, value: unknown) => JSON.stringify({ [name]: value });

/** Replies a hostile "worker" sends to an inspect, by kind: prototype node names, junk, huge and deep bodies. */
export const REPLY_KINDS: Record<string, (random: Random) => string> = {
  'proto-node': (random) =>
    `{"${random.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])}": {"ok": "pong", "polluted": true}}`,
  'proto-nested': () =>
    '{"impostor@x": {"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}}',
  'not-json': (random) => random.pick(['{"impostor@x":', 'pong', '\u0000']),
  'not-an-object': (random) => random.pick(['[]', 'null', '"x"', '42', '[{"a":1}]']),
  'error-reply': () => '{"impostor@x": {"error": "no such method"}, "__proto__": {"error": 1}}',
  oversized: (random) => node('impostor@x', 'x'.repeat(random.pick([1_000_000, 6_000_000]))),
  'many-nodes': () =>
    JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`n${i}@x`, { ok: 'pong' }]))),
  deep: (random) => `{"impostor@x": ${deep(random.pick([5_000, 100_000]))}}`,
  'huge-node-name': () => node(`${'é'.repeat(50_000)}\u0000`, { ok: 'pong' }),
  // Last: the gateway keeps what inspects returned, so a leak shows in every later answer too.
  credentials: () =>
    node('impostor@x', {
      broker: { hostname: 'h', alternates: [`amqp://u:${LEAK_MARKER}@h:5672//`], transport: 'amqp' },
      evil: `redis://:${LEAK_MARKER}@cache:6379/0`,
      nested: { url: `amqps://admin:${LEAK_MARKER}@mq.example/vh` },
    }),
};

/**
 * A fake worker on the connection's broker: it hears every control request on the `celery.pidbox`
 * fanout (as workers do) and answers each request that asks for replies on its `reply_to`
 * exchange/routing key with the request's ticket, so the collector takes the replies as genuine.
 * It answers with one kind of reply at a time, so a failure names its kind.
 */
export async function startPidboxImpostor(brokerUrl: string, random: Random, repliesPerRequest = 3) {
  const connection = await amqp.connect(brokerUrl);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  await channel.assertExchange('celery.pidbox', 'fanout', { durable: false, autoDelete: false });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(queue, 'celery.pidbox', '');
  const byKind: Record<string, number> = {};
  let requests = 0;
  let kind = 'proto-node';
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      let request: { ticket?: string; reply_to?: { exchange?: string; routing_key?: string } };
      try {
        request = JSON.parse(message.content.toString('utf8'));
      } catch {
        return;
      }
      const { ticket, reply_to: replyTo } = request;
      if (!ticket || !replyTo?.exchange || !replyTo.routing_key) return;
      requests += 1;
      const make = REPLY_KINDS[kind] as (random: Random) => string;
      for (let i = 0; i < repliesPerRequest; i++) {
        channel.publish(replyTo.exchange, replyTo.routing_key, Buffer.from(make(random)), {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          headers: { ticket },
        });
        byKind[kind] = (byKind[kind] ?? 0) + 1;
      }
    },
    { noAck: true },
  );
  return {
    /** The kind of reply sent from now on. */
    answerWith(next: string) {
      kind = next;
    },
    stats: () => ({ requests, replies: Object.values(byKind).reduce((a, b) => a + b, 0), byKind }),
    async stop() {
      await connection.close().catch(() => undefined);
    },
  };
}
