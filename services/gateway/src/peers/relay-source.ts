import { createEventTail } from '@celeriac/event-log/tail';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import type { StreamHub } from '../streams/stream-hub';
import type { HeldBytes } from './held-bytes';
import type { RelayedRecord, RelayTaps } from './relay-taps';

export interface RelayBatchOut {
  readonly records: readonly RelayedRecord[];
  /** Every record of the connection before this offset has been sent. */
  readonly nextOffset: number;
}

/** Resolves once the batch is handed to the transport and it has room again (backpressure). */
export type RelaySink = (batch: RelayBatchOut) => Promise<void>;

export class NotOwnerError extends Error {}
export class RelayOverflowError extends Error {}

export interface RelaySourceDeps {
  hub: StreamHub;
  taps: RelayTaps;
  kafka: Kafka;
  topic: string;
  logger: Logger;
  /** Bytes of live records held for one relay while it sends older ones or its peer is slow. */
  maxBufferedBytes: number;
  /** The same, for all the relays this replica serves together. */
  heldBytes: HeldBytes;
  /** A batch with no records but the current position is sent this often, the relay's keep-alive. */
  progressMs: number;
}

/**
 * Serves one connection's records of one partition from `from` (-1: from now), until `signal`
 * aborts or the partition leaves this replica. The live tap is registered first, then the records
 * between `from` and the hub's position are read from Kafka (the ring keeps entries, not the records'
 * bytes), then the held live records follow: no gap and no duplicate at the seam.
 */
export async function serveRelay(
  deps: RelaySourceDeps,
  request: { connectionId: string; partition: number; from: number },
  sink: RelaySink,
  signal: AbortSignal,
): Promise<void> {
  const { hub, partition, connectionId } = { hub: deps.hub, ...request };
  const live = hub.position(partition);
  if (live === undefined) throw new NotOwnerError(`partition ${partition} is not read by this replica`);
  let held: RelayedRecord[] = [];
  let heldBytes = 0;
  let overflow = false;
  let wake: (() => void) | undefined;
  // Rejects once the records held for the peer pass the budget, even while a write waits for room:
  // a peer that stopped reading is cut off (it reopens from its position) rather than fed nothing
  // silently until its watchdog gives up on this replica and reads the whole partition from Kafka.
  let cutOff!: (error: Error) => void;
  const overflowed = new Promise<never>((_, reject) => {
    cutOff = reject;
  });
  overflowed.catch(() => {});
  const untap = deps.taps.add({
    connectionId,
    push(record) {
      if (overflow) return;
      const size = record.value.length + 64;
      if (heldBytes + size > deps.maxBufferedBytes || !deps.heldBytes.take(size)) {
        overflow = true;
        cutOff(new RelayOverflowError('relay peer too slow: reopen from its position'));
      } else {
        heldBytes += size;
        held.push(record);
      }
      wake?.();
    },
  });
  try {
    const from = request.from < 0 ? live : request.from;
    await sink({ records: [], nextOffset: from });
    if (from < live) {
      // Starting a Kafka reader takes seconds (a group join): keep the peer's watchdog fed meanwhile.
      let reached = from;
      const keepAlive = setInterval(() => void sink({ records: [], nextOffset: reached }), deps.progressMs);
      try {
        await sendOlder(
          deps,
          { connectionId, partition, from, until: live },
          async (batch) => {
            reached = batch.nextOffset;
            await sink(batch);
          },
          signal,
        );
      } finally {
        clearInterval(keepAlive);
      }
    }
    let sent = live;
    let idle = false;
    while (!signal.aborted) {
      if (overflow) await overflowed;
      const position = hub.position(partition);
      if (position === undefined) throw new NotOwnerError(`partition ${partition} moved`);
      if (held.length > 0 || position > sent || idle) {
        const records = held.filter((record) => record.offset >= from);
        held = [];
        deps.heldBytes.give(heldBytes);
        heldBytes = 0;
        sent = Math.max(sent, position, (records.at(-1)?.offset ?? -1) + 1);
        // Sent even when nothing changed: the peer's watchdog takes silence for a dead owner.
        await Promise.race([sink({ records, nextOffset: sent }), overflowed]);
      }
      // Records that came while the batch was written go now, not with the next record or tick.
      if (held.length > 0) {
        idle = false;
        continue;
      }
      idle = await new Promise<boolean>((resolve) => {
        const woken = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', woken);
          resolve(false);
        };
        // Removed on every path: one listener per tick would pile up on a long-lived relay.
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', woken);
          resolve(true);
        }, deps.progressMs);
        wake = woken;
        signal.addEventListener('abort', woken, { once: true });
      });
      wake = undefined;
    }
  } finally {
    untap();
    deps.heldBytes.give(heldBytes);
  }
}

/** The connection's records in [from, until) from Kafka, read by a private reader of the one partition. */
async function sendOlder(
  deps: RelaySourceDeps,
  range: { connectionId: string; partition: number; from: number; until: number },
  sink: RelaySink,
  signal: AbortSignal,
): Promise<void> {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  signal.addEventListener('abort', () => finish(), { once: true });
  const tail = createEventTail({
    kafka: deps.kafka,
    topic: deps.topic,
    logger: deps.logger,
    partitions: [range.partition],
    groupPrefix: 'celeriac-gateway-relay',
    start: { from: 'positions', offsets: new Map([[range.partition, range.from]]) },
    onPlan: (plan) => {
      if ((plan[0]?.start ?? range.until) >= range.until) finish();
    },
    onBatch: async (batch) => {
      const records: RelayedRecord[] = [];
      let last = range.from;
      for (const record of batch.records) {
        if (record.offset >= range.until) break;
        last = record.offset;
        if (record.value && record.key?.toString() === range.connectionId)
          records.push({ offset: record.offset, value: record.value, timestampMs: record.timestampMs });
      }
      if (!signal.aborted) await sink({ records, nextOffset: Math.min(range.until, last + 1) });
      if (last + 1 >= range.until) finish();
    },
  });
  try {
    await tail.start();
    await done;
  } finally {
    await tail.stop().catch(() => {});
  }
}
