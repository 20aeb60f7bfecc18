import type { CallerUsage } from '@celeriac/proto/peers';

/** Rough heap cost of one entry besides the caller's UTF-16 characters (Map slot, number, string header). */
const ENTRY_OVERHEAD_BYTES = 80;
/** A report field is a uint32; a replica never admits that many requests between two reports. */
const MAX_TOKENS = 0xffff_ffff;
/**
 * Encoded size a report stays under, well within the peer server's 64 KiB receive limit
 * (relay-server.ts). An entry costs at most its caller's UTF-8 bytes plus 10 bytes of tags, lengths
 * and the varint.
 */
export const MAX_REPORT_BYTES = 48 * 1024;
const entryWireBytes = (caller: string) => Buffer.byteLength(caller) + 10;

/**
 * The request-rate tokens this replica admitted per caller since its last usage report (peers on).
 * Bounded in bytes: once full, a caller not yet in the ledger is not counted until the next report
 * (the fleet limit is then looser for that caller, never tighter). Reports carry the callers with the
 * most tokens first, so the keys that matter for the limit are the ones sent.
 */
export function createUsageLedger(options: {
  maxBytes: number;
  /** Told of each admitted request that found the ledger full (a metric). */
  onFull?: () => void;
}) {
  const taken = new Map<string, number>();
  let bytes = 0;
  return {
    record(caller: string): void {
      const tokens = taken.get(caller);
      if (tokens !== undefined) {
        taken.set(caller, Math.min(MAX_TOKENS, tokens + 1));
        return;
      }
      const cost = ENTRY_OVERHEAD_BYTES + 2 * caller.length;
      if (bytes + cost > options.maxBytes) {
        options.onFull?.();
        return;
      }
      bytes += cost;
      taken.set(caller, 1);
    },
    /**
     * Empties the ledger and returns at most `limit` callers, those with the most tokens first, and no
     * more than fit in MAX_REPORT_BYTES.
     */
    drain(limit: number): CallerUsage[] {
      const entries = [...taken].sort((a, b) => b[1] - a[1]);
      taken.clear();
      bytes = 0;
      const report: CallerUsage[] = [];
      let size = 0;
      for (const [caller, tokens] of entries) {
        size += entryWireBytes(caller);
        if (report.length >= limit || size > MAX_REPORT_BYTES) break;
        report.push({ caller, tokens });
      }
      return report;
    },
    get bytes(): number {
      return bytes;
    },
  };
}

export type UsageLedger = ReturnType<typeof createUsageLedger>;
