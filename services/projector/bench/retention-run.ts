import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchRetention } from './retention';
import { retentionSection } from './retention-report';

// `npm run bench:retention -w @celeriac/projector`: only the retention pass; replaces that section of REPORT.md.
const REPORT = fileURLToPath(new URL('./REPORT.md', import.meta.url));
const result = await benchRetention({
  tasks: Number(process.env.BENCH_TASKS ?? 1_000_000),
  batchRows: Number(process.env.BENCH_RETENTION_BATCH ?? 2000),
});
console.log(JSON.stringify(result));
const report = readFileSync(REPORT, 'utf8');
const head = report.includes('\n## Retention pass')
  ? report.slice(0, report.indexOf('\n## Retention pass'))
  : report;
writeFileSync(
  REPORT,
  `${head.trimEnd()}\n\n${retentionSection(result, 'npm run bench:retention -w @celeriac/projector').join('\n')}`,
);
console.log(`report: ${REPORT}`);
process.exit(0);
