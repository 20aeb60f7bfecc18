import { cpus } from 'node:os';
import type { RetentionBench } from './retention';

const ms = (value: number) => value.toFixed(1);

/** The REPORT.md section of one retention benchmark run. */
export function retentionSection(r: RetentionBench, command: string): string[] {
  return [
    '## Retention pass',
    '',
    `Command: \`${command}\` (run on ${new Date().toISOString()}; ${cpus()[0]?.model ?? 'unknown CPU'},`,
    `${cpus().length} cores, Node ${process.version}; PostgreSQL on the same cores, shared with other test runs:`,
    `1-minute load average ${r.loadBefore.toFixed(2)} before the pass, ${r.loadAfter.toFixed(2)} after).`,
    '',
    `${r.tasks.toLocaleString('en')} finished tasks of one connection spread over 60 days, loaded with COPY`,
    `(${r.loadSeconds.toFixed(0)} s with VACUUM ANALYZE), every index of the migrations in place; one pass with the`,
    `default retention of 30 days and batches of ${r.batchRows} rows (\`CELERIAC_PROJECTOR_RETENTION_BATCH\`).`,
    `A batch (EXPLAIN of the delete statement) uses ${r.indexUsed}. Meanwhile a reader (newest-first listing of 20`,
    'tasks and look-ups by id, alternately) and a writer (projector-like upserts, half of them on existing rows,',
    'old ones included) run back to back on their own connections.',
    '',
    '| rows deleted | old rows left | batches | pass s | rows/s | longest batch ms |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${r.deleted} | ${r.oldLeft} | ${r.batches} | ${r.seconds.toFixed(1)} | ${Math.round(r.rowsPerSecond)} | ${ms(r.longestBatchMs)} |`,
    '',
    '| concurrent loop | queries (idle 3 s) | p99 / max ms idle | queries (during pass) | p99 / max ms during pass |',
    '|---|---:|---:|---:|---:|',
    `| reader | ${r.readIdle.queries} | ${ms(r.readIdle.p99Ms)} / ${ms(r.readIdle.maxMs)} | ${r.readBusy.queries} | ${ms(r.readBusy.p99Ms)} / ${ms(r.readBusy.maxMs)} |`,
    `| writer | ${r.writeIdle.queries} | ${ms(r.writeIdle.p99Ms)} / ${ms(r.writeIdle.maxMs)} | ${r.writeBusy.queries} | ${ms(r.writeBusy.p99Ms)} / ${ms(r.writeBusy.maxMs)} |`,
    '',
    `Blocked for more than one batch: ${Math.max(r.readBusy.maxMs, r.writeBusy.maxMs) > r.longestBatchMs ? '**yes** (a concurrent query took longer than the longest batch)' : 'no (no concurrent query took longer than the longest batch)'}.`,
    '',
  ];
}
