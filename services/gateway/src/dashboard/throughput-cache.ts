import type { ThroughputRow } from '../data/overview-store';
import type { TimeWindow } from './ranges';

type Window = Pick<TimeWindow, 'from' | 'to' | 'bucketSeconds'>;
type Load = (connectionId: string, window: Window) => Promise<ThroughputRow[]>;

interface Entry {
  /** Start of the bucket that was still open at the last count: everything before it is kept. */
  through: number;
  /** Counts of closed buckets by bucket start (epoch seconds). */
  closed: Map<number, ThroughputRow>;
  createdAt: number;
}

/** Closed buckets are recounted from scratch this often, so late events show up. */
const RECOUNT_MS = 10 * 60_000;
/**
 * (connection, bucket width) pairs remembered; each holds at most 181 buckets of ~100 bytes, so the
 * cache stays under 256 x 18 KB, about 4.6 MB. The least recently used goes first.
 */
const MAX_ENTRIES = 256;

/**
 * Throughput per bucket with the closed buckets remembered: a 7- or 30-day chart counts its million
 * tasks once, then each refresh counts only the buckets that were still open (the newest hour or so).
 */
export function cachedThroughput(load: Load, now: () => number): Load {
  const entries = new Map<string, Entry>();
  return async (connectionId, w) => {
    const key = `${connectionId}\u0000${w.bucketSeconds}`;
    const cached = entries.get(key);
    const entry =
      cached && now() - cached.createdAt < RECOUNT_MS
        ? cached
        : { through: w.from, closed: new Map<number, ThroughputRow>(), createdAt: now() };
    const start = Math.max(w.from, entry.through);
    const open = w.to - w.bucketSeconds;
    const rows = await load(connectionId, { from: start, to: w.to, bucketSeconds: w.bucketSeconds });
    const current = new Map<number, ThroughputRow>();
    for (const row of rows) {
      const bucketStart = start + row.bucket * w.bucketSeconds;
      if (bucketStart < open) entry.closed.set(bucketStart, row);
      else current.set(bucketStart, row);
    }
    // Buckets counted as open before and empty now must not keep their old counts.
    for (let t = start; t < open; t += w.bucketSeconds)
      if (!rows.some((row) => start + row.bucket * w.bucketSeconds === t)) entry.closed.delete(t);
    for (const t of entry.closed.keys()) if (t < w.from) entry.closed.delete(t);
    entry.through = open;
    entries.delete(key);
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    entries.set(key, entry);
    const result: ThroughputRow[] = [];
    for (let i = 0, t = w.from; t < w.to; i++, t += w.bucketSeconds) {
      const row = t < open ? entry.closed.get(t) : current.get(t);
      if (row) result.push({ ...row, bucket: i });
    }
    return result;
  };
}
