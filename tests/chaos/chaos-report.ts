/**
 * The chaos run's report: what was broken, how long until users were served again, what was lost.
 * Printed after every run; written to tests/bench/CHAOS-REPORT.md when CELERIAC_CHAOS_REPORT=1
 * (the committed report is from such a run).
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { REPO_ROOT } from '../harness/stack-env';

export interface FaultOutcome {
  name: string;
  /** Fault injected -> marker tasks sent after it are final through HAProxy and seen by every client. */
  recoveredMs: number;
  /** ... of which: the markers final through HAProxy's API, and received by every SSE client. */
  apiMs?: number;
  streamsMs?: number;
  /** The killed replica started again and ready (the orchestrator's part), if any. */
  replacementReadyMs?: number;
  /** Stream reconnects the fault caused (all clients together). */
  reconnects: number;
}

export interface ChaosSummary {
  outcomes: FaultOutcome[];
  tasksSent: number;
  clients: number;
  wsClients: number;
  wsTasksChecked: number;
  wsReopens: number;
  wsFaults: number;
  eventsChecked: number;
  tasksNotFinal: number;
  duplicateHistoryRows: number;
  streamFaults: number;
  durationMs: number;
  trafficPerSecond: number;
}

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(1));

export function chaosReport(summary: ChaosSummary): string {
  const cpu = cpus();
  const rows = summary.outcomes.map(
    (o) =>
      `| ${o.name} | ${seconds(o.recoveredMs)} | ${seconds(o.apiMs)} | ${seconds(o.streamsMs)} | ${seconds(o.replacementReadyMs)} | ${o.reconnects} |`,
  );
  return [
    '# Chaos suite report',
    '',
    `Run of \`tests/chaos/stack.chaos.spec.ts\` (\`npx vitest run --project chaos\`), ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version},`,
    'shared with other test runs. Stack: private Kafka (KRaft), PostgreSQL and RabbitMQ, two replicas each of',
    `collector, projector and gateway, HAProxy in front of the gateways, two Celery workers, ${summary.trafficPerSecond} tasks/s`,
    `of sustained traffic (80% succeed, 20% fail), ${summary.clients} SSE clients through HAProxy resuming with \`Last-Event-ID\``,
    `and ${summary.wsClients} per-task WebSocket clients (100 stream clients).`,
    '',
    'Recovered: the fault was injected, then 6 marker tasks sent right after it are final through HAProxy',
    '(`/api/task/info`) and every stream client has received their terminal events. Replacement ready: the',
    "orchestrator's part, the killed replica started again until its `/readyz` answers 200, after recovery.",
    '',
    '| fault | recovered (s) | API ok (s) | all SSE clients (s) | replacement ready (s) | SSE reconnects |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Afterwards (whole run ${seconds(summary.durationMs)} s):`,
    '',
    `- tasks sent: ${summary.tasksSent}; not in PostgreSQL in their final state: **${summary.tasksNotFinal}**`,
    `- duplicate history rows (same event id, or a second terminal event of a task): **${summary.duplicateHistoryRows}**`,
    `- stream clients: ${summary.clients}; job events received, summed over clients: ${summary.eventsChecked};`,
    `  gaps, duplicates, out-of-order ids or \`reset\` notices: **${summary.streamFaults}** (events lost: ${summary.streamFaults})`,
    `- WebSocket clients: ${summary.wsClients}, following ${summary.wsTasksChecked} tasks one after another; sockets reopened`,
    `  for the same task: ${summary.wsReopens}; tasks whose last socket missed or repeated an event: **${summary.wsFaults}**`,
    '',
  ].join('\n');
}

export function publishChaosReport(summary: ChaosSummary): string {
  const text = chaosReport(summary);
  if (process.env.CELERIAC_CHAOS_REPORT === '1')
    writeFileSync(`${REPO_ROOT}tests/bench/CHAOS-REPORT.md`, text);
  return text;
}
