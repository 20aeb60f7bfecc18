/** The peers benchmark's figures and their markdown report (tests/bench/PEERS-REPORT.md). */
import { cpus, totalmem } from 'node:os';
import type { Held } from './peers-clients';
import type { TierHealth } from './peers-monitor';
import { percentile } from './stack-measures';

export interface Settings {
  runs: string[];
  clients: number;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  partitions: number;
  live: number;
  idle: number;
  apiPath: string;
  loadBefore?: number[];
}

export interface ReplicaFigures {
  /** Partitions it read from Kafka at the end of the window. */
  partitions: number;
  fetchBytes: number;
  cpuSeconds: number;
  clients: Omit<Held, 'close'>;
  rssIdleMb: number;
  rssHeldMb: number;
  rssPeakMb: number;
  apiMs: number[];
  apiFailures: number;
  relaysReceived: number;
  fallbacks: number;
  /** Worst event-loop delay seen in any second of the window. */
  loopLagMaxMs: number;
  heapPeakMb: number;
}

export interface RunFigures {
  run: string;
  replicas: number;
  peers: boolean;
  events: number;
  /** Per produced batch, stamp to Kafka's acknowledgement. */
  produceMs: number[];
  seconds: number;
  replicaFigures: ReplicaFigures[];
  /** Watchers on a replica that reads the connection's partition itself. */
  ownLatencyMs: number[];
  /** Watchers on a replica that gets the connection from its owner over the Relay. */
  relayLatencyMs: number[];
  delivered: number;
  expected: number;
  load: [number, number];
  /** Peers runs: membership and ownership from the tier's start to the end of the window. */
  health?: TierHealth;
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const verdict = (ok: boolean) => (ok ? 'reached' : '**NOT reached**');
const RUN_NAMES: Record<string, string> = {
  '1': 'one replica (today)',
  '3-read-all': 'three replicas, no peers (today: each reads every partition)',
  '3-peers': 'three replicas, peers on',
};
const nameOf = (run: string) => (Object.hasOwn(RUN_NAMES, run) ? RUN_NAMES[run] : run) as string;
const reasons = (h: TierHealth) =>
  h.fallbackReasons && h.fallbackReasons.size > 0
    ? ` (${[...h.fallbackReasons].map(([reason, n]) => `${n}× \`${reason}\``).join('; ')})`
    : '';
const bytesPerEvent = (r: RunFigures) => sum(r.replicaFigures.map((f) => f.fetchBytes)) / r.events;
const apiP95 = (r: RunFigures) =>
  percentile(
    r.replicaFigures.flatMap((f) => f.apiMs),
    95,
  );

function latencyRow(run: RunFigures, path: string, values: number[]): string {
  if (values.length === 0) return '';
  const p = (q: number) => fmt(percentile(values, q));
  return `| ${nameOf(run.run)} | ${path} | ${fmt(values.length)} | ${p(50)} | ${p(95)} | ${p(99)} | ${fmt(Math.max(...values))} |\n`;
}

function targets(settings: Settings, results: RunFigures[]): string {
  const one = results.find((r) => r.run === '1');
  const tier = results.find((r) => r.run === '3-peers');
  if (!one || !tier) return 'The targets compare the runs `1` and `3-peers`; this run did not have both.\n';
  const ratio = bytesPerEvent(tier) / bytesPerEvent(one);
  const minClients = Math.min(...tier.replicaFigures.map((f) => f.clients.opened));
  const relayP99 = percentile(tier.relayLatencyMs, 99);
  const rate = tier.events / tier.seconds;
  const cpuOne = (one.replicaFigures[0]?.cpuSeconds ?? 0) / one.events;
  const cpuEach = tier.replicaFigures.map((f) => fmt((f.cpuSeconds / tier.events) * 1e6, 1)).join(' / ');
  return `| figure | one replica | three replicas, peers | target | verdict |
|---|---:|---:|---|---|
| Kafka bytes read by the whole tier per event | ${fmt(bytesPerEvent(one))} | ${fmt(bytesPerEvent(tier))} (${ratio.toFixed(2)}×) | within 1.2× of one replica's | ${verdict(ratio <= 1.2)} |
| CPU per event, each replica (µs) | ${fmt(cpuOne * 1e6, 1)} | ${cpuEach} | (figure) | — |
| SSE clients held per replica | ${fmt(one.replicaFigures[0]?.clients.opened ?? 0)} | ${tier.replicaFigures.map((f) => fmt(f.clients.opened)).join(' / ')} | 5,000 per replica | ${verdict(minClients >= 5_000)} |
| event-to-client p99 through a relay, at ${fmt(rate)} events/s produced | — | ${fmt(relayP99)} ms | < 250 ms at 1,000 events/s | ${verdict(relayP99 < 250 && rate >= 0.95 * 1_000)} |
| \`${settings.apiPath}\` p95 while ingesting (all replicas' clients) | ${fmt(apiP95(one), 1)} ms | ${fmt(apiP95(tier), 1)} ms | before and after (the project's budget: < 50 ms) | ${verdict(apiP95(tier) < 50)} |
`;
}

export function renderReport(settings: Settings, results: RunFigures[]): string {
  const cpu = cpus();
  const runs = results
    .map(
      (r) =>
        `| ${nameOf(r.run)} | ${fmt(r.events)} in ${r.seconds.toFixed(1)} s (${fmt(r.events / r.seconds)}/s) | ${fmt(percentile(r.produceMs, 50))} / ${fmt(percentile(r.produceMs, 99))} | ${fmt(bytesPerEvent(r))} | ${fmt((sum(r.replicaFigures.map((f) => f.cpuSeconds)) / r.events) * 1e6, 1)} | ${fmt(r.delivered)} of ${fmt(r.expected)} | ${r.load.map((l) => l.toFixed(2)).join(' → ')} |`,
    )
    .join('\n');
  const replicas = results
    .flatMap((r) =>
      r.replicaFigures.map(
        (f, i) =>
          `| ${nameOf(r.run)} | ${i + 1} | ${f.partitions} | ${fmt(f.fetchBytes / r.events)} | ${fmt((f.cpuSeconds / r.events) * 1e6, 1)} | ${fmt(f.clients.opened)}${f.clients.failed ? ` (${fmt(f.clients.failed)} refused: ${f.clients.firstError})` : ''} in ${(f.clients.ms / 1000).toFixed(1)} s | ${fmt(f.rssIdleMb)} / ${fmt(f.rssHeldMb)} / ${fmt(f.rssPeakMb)} | ${fmt(f.heapPeakMb)} | ${fmt(f.loopLagMaxMs)} | ${fmt(percentile(f.apiMs, 50), 1)} / ${fmt(percentile(f.apiMs, 95), 1)} (${f.apiMs.length}, ${f.apiFailures} failed) | ${r.peers ? `${f.relaysReceived} / ${f.fallbacks}` : '—'} |`,
      ),
    )
    .join('\n');
  const latencies = results
    .map(
      (r) =>
        latencyRow(r, r.peers ? 'owner (reads the partition)' : 'own Kafka read', r.ownLatencyMs) +
        latencyRow(r, 'through a relay', r.relayLatencyMs),
    )
    .join('');
  const health = results
    .filter((r) => r.health)
    .map((r) => {
      const h = r.health as TierHealth;
      return `| ${nameOf(r.run)} | ${h.maxRenewAgeS.map((age) => age.toFixed(1)).join(' / ')} | ${h.minLiveMembers} of ${r.replicas} | ${h.layouts.join(' → ')} | ${r.replicaFigures.map((f) => f.fallbacks).join(' / ')}${reasons(h)} | ${h.memberChanges ?? 'n/a'} |`;
    })
    .join('\n');
  return `# Gateway peers: one replica against three, same workload

Command: \`node --import tsx tests/bench/peers-bench.ts\` (part of \`npm run bench\`; this run: BENCH_PEERS_RUNS=${settings.runs.join(',')} BENCH_PEERS_CLIENTS=${settings.clients} BENCH_PEERS_RATE=${settings.rate} BENCH_PEERS_SECONDS=${settings.seconds} BENCH_PEERS_WARMUP_S=${settings.warmupSeconds} BENCH_PEERS_PARTITIONS=${settings.partitions} BENCH_PEERS_LIVE=${settings.live} BENCH_PEERS_IDLE=${settings.idle}), report written at ${new Date().toISOString()} (when the last run ended).
Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores (nproc), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}.
On the same cores at once: Kafka (one KRaft node), PostgreSQL, the projector, every gateway replica, and this process
(producer, every SSE client, the API clients); other sessions' tests may have run too: see the load averages
(1, 5, 15 min before this benchmark started anything: ${settings.loadBefore?.map((l) => l.toFixed(2)).join(', ') ?? 'n/a'}).

Workload, the same in every run: ${fmt(settings.rate)} events/s (whole task lifecycles, 4 events, produced every
20 ms, stamped at produce) over ${settings.live} connections spread over the topic's ${settings.partitions} partitions,
${settings.warmupSeconds} s of warm-up then ${settings.seconds} s measured. Every replica holds ${fmt(settings.clients)} idle SSE
clients over ${settings.idle} other connections (no traffic, heartbeats only) and one watcher per live connection
(\`types=job\`); a projector writes the same events to PostgreSQL and one client per replica asks
\`${settings.apiPath}\` back to back (100 ms apart). Kafka bytes: each replica's new
\`celeriac_gateway_kafka_fetch_bytes_total\` (sizes of the Fetch responses its consumers read, as kafkajs reports
them: records and the empty answers of long polls) over the measured window and its drain. CPU: utime + stime of
each gateway process (/proc/<pid>/stat) over the same span, divided by the events produced in the window.
Latency: the client's parse time minus the event's stamp (the same clock), for events of the window.

## Targets (issue 14)

${targets(settings, results)}
## Runs

| run | events measured | produce to Kafka ack p50 / p99 ms | Kafka bytes per event, tier | CPU per event, tier (µs) | events delivered to watchers | load average (1 min) start → end |
|---|---|---|---:|---:|---|---|
${runs}

## Each replica

| run | replica | partitions read from Kafka | Kafka bytes per event | CPU per event (µs) | SSE clients opened | RSS MB idle / with clients / peak | heap used peak MB | worst event-loop delay ms | API p50 / p95 ms (samples) | relays open / fallbacks |
|---|---:|---:|---:|---:|---|---|---:|---:|---|---|
${replicas}

## Peers tier health (sampled every second from the tier's start to the end of the window)

A replica whose heartbeat row is older than the TTL (\`CELERIAC_GATEWAY_PEER_TTL_MS\`, 10 s by default) is gone
for the others, which take its partitions; a replica that keeps local clients of a partition keeps reading it.

| run | oldest heartbeat per replica (s) | fewest live members | partitions read per replica, as they changed | relay fallbacks to Kafka per replica (reasons logged) | membership changes logged (all replicas, from start) |
|---|---|---|---|---|---|
${health}

## Event to client

| run | path | samples | p50 ms | p95 ms | p99 ms | max ms |
|---|---|---:|---:|---:|---:|---:|
${latencies}
## Reading the figures

- Every replica here has a watcher on every live connection, so every replica decodes every event,
  read from Kafka or relayed: peers save Kafka reads, not decoding, and each relayed copy adds a gRPC
  encode on the owner and a decode on the receiver. A replica's CPU per event can only fall below the
  one-replica figure when its clients watch fewer connections than the whole tier.
- A relay that stays silent for 3 × \`CELERIAC_GATEWAY_PEER_PROGRESS_MS\` + \`CELERIAC_GATEWAY_PEER_CONNECT_MS\`
  (6 s by default) is replaced by a Kafka reader of the whole partition, for one connection, for
  \`CELERIAC_GATEWAY_PEER_FALLBACK_MS\`: each fallback reads that partition's bytes once more, which shows in the
  tier's bytes per event.
- Latency includes the produce (see its own column) and the scheduling of every process on the shared
  cores; compare the paths within one run rather than across runs taken under different loads.
`;
}
