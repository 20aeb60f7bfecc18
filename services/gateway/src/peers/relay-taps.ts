import type { TailRecord } from '@celeriac/event-log/tail';
import type { StreamEntry } from '../streams/stream-entries';

export interface RelayedRecord {
  readonly offset: number;
  readonly value: Uint8Array;
  readonly timestampMs: number;
}

/** A relay being served: it receives its connection's records as the owner's hub reads them. */
export interface Tap {
  readonly connectionId: string;
  push(record: RelayedRecord): void;
}

/**
 * The owner's hub hands every entry it makes to the relays of that entry's connection (the hub's
 * `onEntry`). Records that never became an entry (undecodable) are not relayed: the receiving
 * replica would skip them anyway.
 */
export function createRelayTaps() {
  const byConnection = new Map<string, Set<Tap>>();
  return {
    onEntry(entry: StreamEntry, record: TailRecord): void {
      const taps = byConnection.get(entry.connectionId);
      if (!taps || !record.value) return;
      const relayed = { offset: record.offset, value: record.value, timestampMs: record.timestampMs };
      for (const tap of taps) tap.push(relayed);
    },
    add(tap: Tap): () => void {
      let taps = byConnection.get(tap.connectionId);
      if (!taps) {
        taps = new Set();
        byConnection.set(tap.connectionId, taps);
      }
      taps.add(tap);
      return () => {
        taps.delete(tap);
        if (taps.size === 0) byConnection.delete(tap.connectionId);
      };
    },
    get size(): number {
      let count = 0;
      for (const taps of byConnection.values()) count += taps.size;
      return count;
    },
  };
}

export type RelayTaps = ReturnType<typeof createRelayTaps>;
