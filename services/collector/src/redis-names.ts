import type { ConnectionOptions } from './connection-options';

/** kombu's separator between a queue name and its priority suffix, and its default priority steps. */
export const PRIORITY_SEP = '\x06\x16';
export const PRIORITY_STEPS = [0, 3, 6, 9] as const;

/** The step a message priority lands on: the highest step not above it (kombu rounds down). */
export function priorityStep(priority: number): number {
  let step = 0;
  for (const candidate of PRIORITY_STEPS) if (priority >= candidate) step = candidate;
  return step;
}

/**
 * Key and channel names of a Celery cluster on Redis, as kombu's Redis transport spells them for the
 * connection's database and transport options. Pub/sub channels are server-wide, so the `/<db>.`
 * fanout prefix is what keeps databases apart; global_keyprefix goes in front of everything.
 */
export function redisNames(db: number, options: ConnectionOptions) {
  const global = options.globalKeyprefix;
  const fanout =
    options.fanoutPrefix === true
      ? `/${db}.`
      : options.fanoutPrefix === false
        ? ''
        : options.fanoutPrefix.replaceAll('{db}', String(db));
  const pidbox = `${options.controlExchange}.pidbox`;
  const replyExchange = `reply.${options.controlExchange}.pidbox`;

  /** The channel kombu publishes a fanout message to. */
  const topic = (exchange: string, routingKey: string) =>
    `${global}${fanout}${exchange}${options.fanoutPatterns && routingKey !== '' ? `/${routingKey}` : ''}`;

  return {
    /** Subscribing to every event: a pattern over routing keys, or the one exchange channel. */
    events: (options.fanoutPatterns
      ? { kind: 'pattern', name: `${global}${fanout}${options.eventExchange}/*` }
      : { kind: 'channel', name: `${global}${fanout}${options.eventExchange}` }) as {
      kind: 'pattern' | 'channel';
      name: string;
    },
    eventTopic: (routingKey: string) => topic(options.eventExchange, routingKey),
    eventExchange: options.eventExchange,
    pidboxTopic: topic(pidbox, ''),
    pidboxExchange: pidbox,
    replyExchange,
    /** The set that routes a direct or topic exchange: members "key SEP pattern SEP queue". */
    bindings: (exchange: string) => `${global}_kombu.binding.${exchange}`,
    replyQueue: (oid: string) => `${global}${oid}.${replyExchange}`,
    /** The list that holds one priority step of a queue. */
    queueKey: (queue: string, step = 0) => `${global}${queue}${step === 0 ? '' : `${PRIORITY_SEP}${step}`}`,
  };
}

export type RedisNames = ReturnType<typeof redisNames>;
