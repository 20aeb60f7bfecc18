import amqp from 'amqplib';
import { waitFor } from '../harness/wait-for';
import { type BrokerMessage, MESSAGE_KINDS, sentinel } from './broker-messages';
import type { HostileStack, RunningService } from './hostile-stack';
import { randomUuid } from './hostile-values';
import type { Random } from './seeded-random';

export interface BrokerIncident {
  kind: string;
  /** crash: a service exited; stuck: the sentinel published after the kind never became readable. */
  failure: 'crash' | 'stuck';
  services: string[];
  sample: string;
  log: string;
}

export interface BrokerAttackReport {
  published: number;
  byKind: Record<string, number>;
  incidents: BrokerIncident[];
  seconds: number;
}

function describeMessage(message: BrokerMessage): string {
  const text = message.body.toString('utf8');
  const head = text.length > 300 ? `${text.slice(0, 300)}… (${message.body.length} bytes)` : text;
  return `[${message.kind}] routingKey=${JSON.stringify(message.routingKey.slice(0, 80))} contentType=${JSON.stringify(message.contentType)} contentEncoding=${JSON.stringify(message.contentEncoding)} body=${JSON.stringify(head)}`;
}

/**
 * Publishes `total` malformed messages to the connection's `celeryev` exchange, kind after kind; after
 * each kind a valid sentinel event must become readable through the gateway (the pipeline got past the
 * whole kind). A kind that takes a service down or stops the pipeline is reported with a sample; its
 * messages are purged (a poison message would otherwise be redelivered forever) and the service
 * restarted, so later kinds are still tried.
 */
export async function runBrokerAttack(
  stack: HostileStack,
  random: Random,
  total: number,
  sentinelTimeoutMs: number,
): Promise<BrokerAttackReport> {
  const started = performance.now();
  const connection = await amqp.connect(stack.brokerUrl);
  connection.on('error', () => undefined);
  const channel = await connection.createConfirmChannel();
  await channel.checkExchange('celeryev');
  const report: BrokerAttackReport = { published: 0, byKind: {}, incidents: [], seconds: 0 };
  const weights = MESSAGE_KINDS.reduce((sum, kind) => sum + kind.weight, 0);
  const services: RunningService[] = [stack.collector, stack.projector, stack.gateway];
  const publish = (message: BrokerMessage) =>
    channel.publish('celeryev', message.routingKey, message.body, {
      contentType: message.contentType,
      contentEncoding: message.contentEncoding,
      headers: message.headers,
      deliveryMode: 1,
    });
  try {
    for (const kind of MESSAGE_KINDS) {
      const count = Math.max(1, Math.ceil((total * kind.weight) / weights));
      let sample: BrokerMessage | undefined;
      for (let i = 0; i < count; i++) {
        const message = kind.make(random);
        sample ??= message;
        if (!publish(message)) await new Promise((resolve) => channel.once('drain', resolve));
        if (i % 200 === 199) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
      report.published += count;
      report.byKind[kind.kind] = count;
      const uuid = randomUuid(random);
      publish(sentinel(uuid));
      await channel.waitForConfirms();
      const failure = await waitForSentinel(stack, uuid, services, sentinelTimeoutMs);
      if (failure) {
        const down = services.filter((service) => service.exited());
        report.incidents.push({
          kind: kind.kind,
          failure,
          services: down.map((service) => service.name),
          sample: `${describeMessage(sample as BrokerMessage)}; last answer for the sentinel: ${lastAnswer}`,
          log: logs(down.length > 0 ? down : [stack.collector, stack.projector]),
        });
        // Purged while the collector is down, once the broker has seen its consumer go (and so put
        // its unacknowledged messages back in the queue).
        const queue = `celeriac.events.${stack.connectionId}`;
        const purge = async () => {
          await waitFor(
            'the killed collector to leave the queue',
            async () => (await channel.checkQueue(queue)).consumerCount === 0,
            { timeoutMs: 30_000 },
          );
          await channel.purgeQueue(queue);
        };
        try {
          await stack.collector.restart(purge);
          for (const service of down.filter((service) => service !== stack.collector))
            await service.restart();
        } catch (error) {
          // A service that does not come back ends the phase; what it said is the finding.
          report.incidents.push({
            kind: kind.kind,
            failure: 'stuck',
            services: ['restart failed'],
            sample: '',
            log: (error as Error).message.slice(-2_000),
          });
          break;
        }
        // The next kind is judged only once the restarted pipeline carries events again (lease taken).
        const again = randomUuid(random);
        publish(sentinel(again));
        await channel.waitForConfirms();
        if (await waitForSentinel(stack, again, services, 90_000)) {
          report.incidents.push({
            kind: kind.kind,
            failure: 'stuck',
            services: [],
            sample: `the pipeline did not recover after a restart; last answer for the sentinel: ${lastAnswer}`,
            log: logs([stack.collector, stack.projector]),
          });
        }
      }
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The end of each service's log, named. */
const logs = (services: RunningService[]) =>
  services.map((service) => `${service.name}: ${service.logTail().slice(-1_200)}`).join('\n');

/** What /api/task/info last said about the sentinel being waited for (a status and the body's start). */
let lastAnswer = '';

async function waitForSentinel(
  stack: HostileStack,
  uuid: string,
  services: RunningService[],
  timeoutMs: number,
) {
  try {
    await waitFor(
      `sentinel task ${uuid} in /api/task/info`,
      async () => {
        if (services.some((service) => service.exited())) return 'crash';
        const response = await fetch(`${stack.gateway.url()}/api/task/info/${uuid}`, {
          headers: { authorization: `Bearer ${stack.keys.viewer}` },
        });
        lastAnswer = `${response.status} ${(await response.text()).slice(0, 200)}`;
        return response.status === 200 ? 'ok' : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    ).then((outcome) => {
      if (outcome === 'crash') throw new Error('crash');
    });
    return undefined;
  } catch (error) {
    return (error as Error).message === 'crash' || services.some((service) => service.exited())
      ? 'crash'
      : 'stuck';
  }
}
