import { BadRequestError } from '../errors';

/** The range picker's choices: seconds covered and bucket width (at most 180 buckets per chart). */
const RANGES = new Map<string, { seconds: number; bucketSeconds: number }>([
  ['15m', { seconds: 900, bucketSeconds: 30 }],
  ['1h', { seconds: 3_600, bucketSeconds: 60 }],
  ['6h', { seconds: 21_600, bucketSeconds: 300 }],
  ['24h', { seconds: 86_400, bucketSeconds: 900 }],
  ['7d', { seconds: 604_800, bucketSeconds: 3_600 }],
  ['30d', { seconds: 2_592_000, bucketSeconds: 14_400 }],
]);

export interface TimeWindow {
  range: string;
  /** Epoch seconds, `from` inclusive and `to` exclusive; `to` is the end of the current bucket. */
  from: number;
  to: number;
  bucketSeconds: number;
  buckets: number;
}

/** The window of a `range` parameter (default 1h), aligned to whole buckets so charts do not jitter. */
export function timeWindow(range: string | undefined, nowMs: number): TimeWindow {
  const name = range ?? '1h';
  const spec = RANGES.get(name);
  if (!spec) throw new BadRequestError(`Parameter 'range' must be one of ${[...RANGES.keys()].join(', ')}`);
  const now = Math.floor(nowMs / 1000);
  const to = (Math.floor(now / spec.bucketSeconds) + 1) * spec.bucketSeconds;
  const buckets = spec.seconds / spec.bucketSeconds;
  return {
    range: name,
    from: to - buckets * spec.bucketSeconds,
    to,
    bucketSeconds: spec.bucketSeconds,
    buckets,
  };
}

/** Bucket start times of a window, as ISO text, oldest first. */
export function bucketStarts(window: TimeWindow): string[] {
  return Array.from({ length: window.buckets }, (_, i) =>
    new Date((window.from + i * window.bucketSeconds) * 1000).toISOString(),
  );
}

export const isoOf = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();
