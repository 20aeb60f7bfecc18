import { canonicalJson, eventIdOf } from '@celeriac/celery-domain/normalize';
import { encodeEvent } from '@celeriac/event-log/codec';
import type { EventLogProducer } from '@celeriac/event-log/producer';
import type { CeleryEvent, QueueDepth } from '@celeriac/proto/events';
import { INSPECT_SNAPSHOT_TYPE, QUEUES_SNAPSHOT_TYPE } from '@celeriac/proto/topics';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { BrokerSession } from './broker-session';
import { SNAPSHOT_INSPECT_METHODS } from './control-args';
import type { CollectorMetrics } from './metrics';
import { scrubCredentials } from './scrub-inspect';

/** Most queues measured per round, so a cluster reporting thousands of queues cannot stall a session. */
const MAX_QUEUES = 500;
/**
 * Reply text kept in one inspect snapshot, bytes: each snapshot is one Kafka record and must stay
 * under the topic's 1 MiB max.message.bytes; replies past it are left out of that snapshot.
 */
const MAX_SNAPSHOT_BYTES = 768 * 1024;

/**
 * `{node: JSON text of its reply}` for one snapshot: credentials scrubbed, a null-prototype object
 * (node names are chosen by workers), and at most MAX_SNAPSHOT_BYTES of text.
 */
export function snapshotReplies(replies: { node: string; value: unknown }[]): {
  repliesJson: Record<string, string>;
  dropped: number;
} {
  const repliesJson: Record<string, string> = Object.create(null);
  let bytes = 0;
  let dropped = 0;
  for (const { node, value } of replies) {
    const text = JSON.stringify(scrubCredentials(value ?? null)) ?? 'null';
    const size = Buffer.byteLength(text) + Buffer.byteLength(node);
    if (bytes + size > MAX_SNAPSHOT_BYTES) {
      dropped += 1;
      continue;
    }
    bytes += size;
    repliesJson[node] = text;
  }
  return { repliesJson, dropped };
}

/** Queue names from `inspect active_queues` replies ({node: [{name, ...}, ...]}). */
export function queueNamesOf(replies: { value: unknown }[]): string[] {
  const names = new Set<string>();
  for (const { value } of replies) {
    if (!Array.isArray(value)) continue;
    for (const queue of value) {
      const name = (queue as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && name.length > 0 && names.size < MAX_QUEUES) names.add(name);
    }
  }
  return [...names].sort();
}

/** Measures every named queue; queues that do not exist are left out. */
export async function measureQueues(session: BrokerSession, names: string[]): Promise<QueueDepth[]> {
  const depths: QueueDepth[] = [];
  for (const name of names.slice(0, MAX_QUEUES)) {
    const depth = await session.queueDepth(name);
    if (depth) depths.push(depth);
  }
  return depths;
}

/**
 * Samples queue depths and worker inspect data on intervals and produces them as `celeriac-queues` /
 * `celeriac-inspect` events for the connection. A round that fails is counted and skipped; the next
 * interval tries again. Rounds never overlap.
 */
export function startSnapshotSampler(options: {
  session: BrokerSession;
  producer: EventLogProducer;
  eventsTopic: string;
  connectionId: string;
  collectorId: string;
  queueIntervalMs: number;
  inspectIntervalMs: number;
  inspectTimeoutMs: number;
  clock: () => number;
  metrics: CollectorMetrics;
  logger: Logger;
}): { stop(): void } {
  const log = options.logger.child({ component: 'snapshot-sampler' });
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  let knownQueues: string[] = [];

  function snapshotEvent(type: string, body: CeleryEvent['body'], identity: unknown): CeleryEvent {
    const now = options.clock();
    return {
      eventId: eventIdOf(options.connectionId, { type, at: now, collector: options.collectorId, identity }),
      connectionId: options.connectionId,
      type,
      hostname: options.collectorId,
      timestamp: now / 1000,
      receivedAtMs: now,
      body,
      extraJson: '{}',
    };
  }

  // One record per produce: several snapshots near their byte cap together would pass Kafka's limit.
  async function produce(events: CeleryEvent[]): Promise<void> {
    for (const event of events) {
      await options.producer.produce([
        {
          topic: options.eventsTopic,
          records: [{ key: options.connectionId, value: encodeEvent(event) }],
        },
      ]);
      options.metrics.events.inc({ source: 'snapshot' });
    }
  }

  async function inspectRound(): Promise<void> {
    const events: CeleryEvent[] = [];
    for (const method of SNAPSHOT_INSPECT_METHODS) {
      if (stopped) return;
      const replies = await options.session.pidbox.call({
        method,
        arguments: {},
        destination: [],
        reply: true,
        timeoutMs: options.inspectTimeoutMs,
      });
      if (method === 'active_queues') knownQueues = queueNamesOf(replies);
      const { repliesJson, dropped } = snapshotReplies(replies);
      if (dropped > 0) log.warn({ method, dropped }, 'inspect replies over the snapshot byte cap left out');
      events.push(
        snapshotEvent(
          INSPECT_SNAPSHOT_TYPE,
          { $case: 'inspect', value: { method, repliesJson } },
          canonicalJson({ method, repliesJson }),
        ),
      );
    }
    await produce(events);
  }

  async function queueRound(): Promise<void> {
    if (knownQueues.length === 0) {
      knownQueues = queueNamesOf(
        await options.session.pidbox.call({
          method: 'active_queues',
          arguments: {},
          destination: [],
          reply: true,
          timeoutMs: options.inspectTimeoutMs,
        }),
      );
    }
    const queues = await measureQueues(options.session, knownQueues);
    await produce([snapshotEvent(QUEUES_SNAPSHOT_TYPE, { $case: 'queues', value: { queues } }, queues)]);
  }

  function every(intervalMs: number, kind: string, round: () => Promise<void>): void {
    if (intervalMs <= 0) return;
    // One slot per loop, reused, so the timer list never grows.
    const slot = timers.length;
    const tick = async () => {
      try {
        await round();
      } catch (error) {
        options.metrics.snapshotFailures.inc({ kind });
        log.warn({ err: error, kind }, 'snapshot round failed');
      }
      if (!stopped) timers[slot] = setTimeout(tick, intervalMs);
    };
    timers[slot] = setTimeout(tick, Math.min(intervalMs, 1000));
  }

  every(options.inspectIntervalMs, 'inspect', inspectRound);
  every(options.queueIntervalMs, 'queues', queueRound);
  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.length = 0;
    },
  };
}
