import amqp from 'amqplib';

/**
 * Someone with access to a vhost who answers every pidbox request the collector makes, on the reply
 * exchange the collector listens on, with the request's own ticket: oversize, malformed, deeply
 * nested, prototype-named and endless replies. It learns ticket and routing key the way anyone can,
 * from its own queue bound to the `celery.pidbox` fanout.
 */
export async function startPidboxAttacker(brokerUrl: string) {
  const connection = await amqp.connect(brokerUrl);
  const channel = await connection.createChannel();
  await channel.assertExchange('celery.pidbox', 'fanout', { durable: false, autoDelete: false });
  await channel.assertExchange('reply.celery.pidbox', 'direct', { durable: false, autoDelete: false });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'celery.pidbox', '');
  let requestsSeen = 0;
  const replies = (): Buffer[] => [
    Buffer.from(JSON.stringify({ 'evil@big': 'x'.repeat(2 * 1024 * 1024) })),
    Buffer.from('{"evil@broken": '),
    Buffer.from(`{"evil@deep": ${'['.repeat(5_000)}${']'.repeat(5_000)}}`),
    Buffer.from('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
    // Endless: far more than any call may keep, in replies small enough to be read.
    ...Array.from({ length: 80 }, (_, i) =>
      Buffer.from(JSON.stringify({ [`evil@flood-${i}`]: 'y'.repeat(40_000) })),
    ),
  ];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      let request: { ticket?: string; reply_to?: { exchange: string; routing_key: string } };
      try {
        request = JSON.parse(message.content.toString('utf8'));
      } catch {
        return;
      }
      if (!request.ticket || !request.reply_to) return;
      requestsSeen += 1;
      for (const body of replies()) {
        channel.publish(request.reply_to.exchange, request.reply_to.routing_key, body, {
          contentType: 'application/json',
          headers: { ticket: request.ticket },
        });
      }
    },
    { noAck: true },
  );
  return {
    get requestsSeen() {
      return requestsSeen;
    },
    stop: () => connection.close(),
  };
}
