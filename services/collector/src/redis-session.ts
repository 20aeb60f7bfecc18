import { parseRedisUrl, type RedisTarget } from '@celeriac/connection-secrets/broker-url';
import type { QueueDepth } from '@celeriac/proto/events';
import { Redis, type RedisOptions } from 'ioredis';
import type { BrokerSession, SessionOptions } from './broker-session';
import { BrokerUnavailableError, ConnectionConfigError } from './errors';
import type { PidboxRequest } from './pidbox';
import { consumeRedisEvents } from './redis-events';
import { redisNames } from './redis-names';
import { createRedisPidbox } from './redis-pidbox';
import { consumersByQueue, publishRedisTask } from './redis-tasks';

function clientOptions(target: RedisTarget, masterName: string | undefined): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: 5000,
    // Commands fail at once while the server is away (the caller hears BrokerUnavailable) instead of
    // queueing in memory without bound; reconnects are quick so a subscription is back within ~1 s.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
    connectionName: 'celeriac-collector',
    username: target.username,
    password: target.password,
    db: target.db,
    ...(target.tls ? { tls: {} } : {}),
  };
  if (!target.sentinel) {
    const [server] = target.endpoints;
    return { ...common, host: server?.host, port: server?.port };
  }
  if (!masterName)
    throw new ConnectionConfigError('a sentinel:// connection needs the option redisMasterName');
  return { ...common, sentinels: target.endpoints, name: masterName };
}

/**
 * The Redis adapter: one command connection (pidbox requests, task pushes, queue lengths) and one
 * subscriber connection for events, as a subscribed Redis connection can run nothing else.
 */
export async function openRedisSession(options: SessionOptions): Promise<BrokerSession> {
  const log = options.logger.child({ component: 'redis-session' });
  let target: RedisTarget;
  try {
    target = parseRedisUrl(options.url);
  } catch (error) {
    throw new ConnectionConfigError(`the broker URL is not usable: ${(error as Error).message}`);
  }
  const settings = clientOptions(target, options.options.redisMasterName);
  const command = new Redis(settings);
  const subscriber = new Redis(settings);
  for (const client of [command, subscriber])
    client.on('error', (error: Error) => log.warn({ err: error }, 'redis connection error'));
  try {
    await Promise.all([command.connect(), subscriber.connect()]);
  } catch (error) {
    command.disconnect();
    subscriber.disconnect();
    throw new BrokerUnavailableError('cannot connect to Redis', { cause: error });
  }
  const names = redisNames(target.db, options.options);
  const mailbox = createRedisPidbox({ command, names, logger: log });
  // Redis cannot tell who consumes a list; workers' `active_queues` replies can, so the latest is kept.
  let consumers = new Map<string, number>();
  let ended = false;
  const closed = new Promise<Error | undefined>((resolve) => {
    command.once('end', () => {
      ended = true;
      resolve(new BrokerUnavailableError('the Redis connection ended'));
    });
  });

  const session: BrokerSession = {
    kind: 'redis',
    pidbox: {
      async call(request: PidboxRequest) {
        const replies = await mailbox.call(request);
        if (request.method === 'active_queues' && request.destination.length === 0)
          consumers = consumersByQueue(replies);
        return replies;
      },
    },
    async queueDepth(queue: string): Promise<QueueDepth | undefined> {
      const lengths = await command
        .multi()
        .llen(names.queueKey(queue, 0))
        .llen(names.queueKey(queue, 3))
        .llen(names.queueKey(queue, 6))
        .llen(names.queueKey(queue, 9))
        .exec()
        .catch((error: unknown) => {
          throw new BrokerUnavailableError(`cannot measure queue ${queue}`, { cause: error });
        });
      const messages = (lengths ?? []).reduce((sum, [, value]) => sum + Number(value ?? 0), 0);
      const count = consumers.get(queue) ?? 0;
      // Redis deletes an empty list: an empty queue nobody consumes is indistinguishable from none.
      if (messages === 0 && count === 0) return undefined;
      return { name: queue, messages, consumers: count };
    },
    publishTask: (message) => publishRedisTask({ command, names, message, origin: options.origin }),
    consumeEvents: (consumer) =>
      consumeRedisEvents({
        subscriber,
        session,
        names,
        connectionId: options.connectionId,
        logger: log,
        consumer,
      }),
    closed,
    get isOpen() {
      return !ended && command.status === 'ready';
    },
    async close() {
      await mailbox.close();
      ended = true;
      command.disconnect();
      subscriber.disconnect();
    },
  };
  return session;
}
