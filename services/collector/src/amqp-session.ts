import type { QueueDepth } from '@celeriac/proto/events';
import type { Logger } from '@celeriac/service-runtime/logger';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { consumeAmqpEvents } from './amqp-events';
import type { BrokerSession } from './broker-session';
import type { ConnectionOptions } from './connection-options';
import { BrokerUnavailableError, InvalidArgumentError } from './errors';
import { createPidboxClient, type PidboxClient } from './pidbox';
import { type TaskMessage, taskSentEvent } from './task-message';

/**
 * One live AMQP connection to a connection's broker and the channels built on it: pidbox, task
 * publishing (confirm channel) and throwaway channels for passive declares. Everything fails with
 * BrokerUnavailableError once the connection is gone; the runner makes a new session.
 */
export async function openAmqpSession(options: {
  url: string;
  connectionId: string;
  connectionName: string;
  origin: string;
  options: ConnectionOptions;
  logger: Logger;
}): Promise<BrokerSession> {
  const log = options.logger.child({ component: 'broker-session' });
  let connection: ChannelModel;
  try {
    connection = await amqp.connect(options.url, {
      clientProperties: { connection_name: `celeriac-collector ${options.connectionName}` },
      timeout: 5000,
    });
  } catch (error) {
    throw new BrokerUnavailableError('cannot connect to the broker', { cause: error });
  }
  let open = true;
  const closed = new Promise<Error | undefined>((resolve) => {
    connection.on('close', (error?: Error) => {
      open = false;
      resolve(error);
    });
  });
  connection.on('error', (error: Error) => log.warn({ err: error }, 'broker connection error'));
  connection.on('blocked', (reason: string) =>
    log.warn({ reason }, 'broker blocked the connection (resource alarm)'),
  );

  const pidbox: PidboxClient = createPidboxClient({ connection, logger: log });
  let publisher: Promise<ConfirmChannel> | undefined;

  function ensureOpen(): void {
    if (!open) throw new BrokerUnavailableError('the broker connection is closed');
  }

  async function confirmChannel(): Promise<ConfirmChannel> {
    publisher ??= connection.createConfirmChannel().then(
      (created) => {
        created.on('error', (error) => log.warn({ err: error }, 'publish channel error'));
        created.on('close', () => {
          publisher = undefined;
        });
        return created;
      },
      (error: unknown) => {
        publisher = undefined;
        throw new BrokerUnavailableError('cannot open a publish channel', { cause: error });
      },
    );
    return publisher;
  }

  /** Passive declare on its own channel: a missing queue closes the channel with 404 (AMQP 0-9-1). */
  async function queueDepth(queue: string): Promise<QueueDepth | undefined> {
    ensureOpen();
    const channel = await connection.createChannel().catch((error: unknown) => {
      throw new BrokerUnavailableError('cannot open a channel', { cause: error });
    });
    channel.on('error', () => undefined);
    try {
      const reply = await channel.checkQueue(queue);
      return { name: queue, messages: reply.messageCount, consumers: reply.consumerCount };
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw new BrokerUnavailableError(`passive declare of ${queue} failed`, { cause: error });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Passive exchange declare on a throwaway channel (a missing exchange closes it with 404). */
  async function exchangeExists(exchange: string): Promise<boolean> {
    const channel = await connection.createChannel().catch((error: unknown) => {
      throw new BrokerUnavailableError('cannot open a channel', { cause: error });
    });
    channel.on('error', () => undefined);
    try {
      await channel.checkExchange(exchange);
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return false;
      throw new BrokerUnavailableError(`passive declare of exchange ${exchange} failed`, { cause: error });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  const session: BrokerSession = {
    kind: 'amqp',
    pidbox,
    queueDepth,
    consumeEvents: (consumer) =>
      consumeAmqpEvents({
        connection,
        session,
        connectionId: options.connectionId,
        options: options.options,
        logger: log,
        consumer,
      }),
    /** Resolves when the connection closes, with the error that closed it, if any. */
    closed,
    get isOpen() {
      return open;
    },

    async publishTask(message: TaskMessage): Promise<void> {
      ensureOpen();
      // Publishing by queue name to the anonymous exchange silently drops the message when the queue is
      // missing; check first so the caller hears about it.
      if (message.exchange === '' && !(await queueDepth(message.routingKey))) {
        throw new InvalidArgumentError(`queue ${message.routingKey} does not exist on the broker`);
      }
      if (message.exchange !== '' && !(await exchangeExists(message.exchange))) {
        throw new InvalidArgumentError(`exchange ${message.exchange} does not exist on the broker`);
      }
      const channel = await confirmChannel();
      try {
        channel.publish(message.exchange, message.routingKey, message.content, message.options);
        await channel.waitForConfirms();
      } catch (error) {
        throw new BrokerUnavailableError('the broker did not confirm the task message', { cause: error });
      }
      // Like a Python client with task_send_sent_event: best effort, the task itself is already queued.
      try {
        const event = taskSentEvent(message, { hostname: options.origin, now: new Date(), pid: process.pid });
        channel.publish('celeryev', 'task.sent', event, {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          deliveryMode: 1,
          priority: 0,
          headers: { hostname: options.origin },
        });
        await channel.waitForConfirms();
      } catch (error) {
        log.warn({ err: error, taskId: message.taskId }, 'task-sent event not published');
      }
    },

    async close(): Promise<void> {
      if (!open) return;
      await pidbox.close();
      await connection.close().catch(() => undefined);
    },
  };
  return session;
}
