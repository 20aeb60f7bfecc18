/**
 * One gateway replica against three, on the same workload (issue 14's figures):
 *
 *   node --import tsx tests/bench/peers-bench.ts      (part of `npm run bench`)
 *
 * Runs, one after the other on a private topic and database: one replica (today), three replicas
 * without peers (today's way to scale: each reads everything), three replicas with peers. In each, every
 * replica holds BENCH_PEERS_CLIENTS idle SSE clients, one watcher per (replica, live connection) times
 * every event, a projector ingests the same events into PostgreSQL and one client per replica asks
 * /api/tasks back to back, while BENCH_PEERS_RATE events/s are produced for BENCH_PEERS_SECONDS. Kafka
 * bytes are each replica's celeriac_gateway_kafka_fetch_bytes_total; CPU is /proc/<pid>/stat.
 * Writes tests/bench/PEERS-REPORT.md.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createEventProducer, grantKeys } from '@celeriac/gateway/streams/live-streams.testkit';
import pg from 'pg';
import { startProjector } from '../harness/celeriac-services';
import { createTestDatabase, createTestTopics } from '../harness/isolation';
import type { ServiceProcess } from '../harness/service-process';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { type Held, holdClients, type Watcher, watch } from './peers-clients';
import { monitorTier, sampleReplicas, tierEvents } from './peers-monitor';
import { type RunFigures, renderReport, type Settings } from './peers-report';
import { type Gateway, ownerOfPartition, scrape, startTier } from './peers-tier';
import { connectionsOverPartitions, ingest } from './peers-workload';
import { cpuSeconds, querier, rssMb } from './stack-measures';

const knob = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const settings: Settings = {
  runs: (process.env.BENCH_PEERS_RUNS ?? '1,3-read-all,3-peers').split(','),
  clients: knob('BENCH_PEERS_CLIENTS', 5_000),
  rate: knob('BENCH_PEERS_RATE', 1_000),
  seconds: knob('BENCH_PEERS_SECONDS', 30),
  warmupSeconds: knob('BENCH_PEERS_WARMUP_S', 5),
  partitions: knob('BENCH_PEERS_PARTITIONS', 6),
  live: knob('BENCH_PEERS_LIVE', 6),
  idle: knob('BENCH_PEERS_IDLE', 60),
  apiPath: '/api/tasks?limit=100',
};
const REPORT = fileURLToPath(new URL('./PEERS-REPORT.md', import.meta.url));

const stack = readStackEnv();
const [database, topics] = await Promise.all([
  createTestDatabase(),
  createTestTopics(['events', 'deadletter'], settings.partitions),
]);
const env = {
  CELERIAC_DATABASE_URL: database.url,
  CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
  CELERIAC_EVENTS_TOPIC: topics.topics.events as string,
  CELERIAC_DEAD_LETTER_TOPIC: topics.topics.deadletter as string,
  CELERIAC_SECRET_KEY: randomBytes(32).toString('base64'),
  // One key opens every client: its limits must not be what is measured.
  CELERIAC_GATEWAY_RATE_PER_SECOND: '0',
  CELERIAC_GATEWAY_STREAMS_PER_KEY: '1000000',
  CELERIAC_GATEWAY_STREAMS_PER_CONNECTION: '1000000',
};
const live = connectionsOverPartitions(settings.live, settings.partitions);
const idle = connectionsOverPartitions(settings.idle, settings.partitions).map((c) => c.id);
// Many keys, as many users would have: one key's streams are admitted one at a time fleet-wide (a
// per-key lock), which is not what this measures. CLIENTS_PER_KEY is the default per-key limit.
const CLIENTS_PER_KEY = 50;
const keysPerReplica = Math.max(1, Math.ceil(settings.clients / CLIENTS_PER_KEY));
// Key 0 for the watchers and the API clients, then each replica's own keys (3 replicas at most).
const keyCount = 1 + 3 * keysPerReplica;
const granted = Object.values(
  await grantKeys(
    database.url,
    Object.fromEntries(
      Array.from({ length: keyCount }, (_, i) => [`k${i}`, [...live.map((c) => c.id), ...idle]]),
    ),
  ),
);
const key = granted[0] as string;
const clientKeys = (replica: number) =>
  granted.slice(1 + replica * keysPerReplica, 1 + (replica + 1) * keysPerReplica);
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
const producer = await createEventProducer(stack.kafkaBrokers, env.CELERIAC_EVENTS_TOPIC);
const services: ServiceProcess[] = [];
// What the machine was doing before this benchmark started anything of its own.
settings.loadBefore = loadavg();
const results: RunFigures[] = [];
try {
  if (process.env.BENCH_PEERS_PROJECTOR !== '0') services.push(await startProjector(env));
  for (const run of settings.runs) results.push(await measure(run));
  const report = renderReport(settings, results);
  writeFileSync(REPORT, report);
  console.log(report);
} finally {
  await Promise.allSettled(services.map((service) => service.stop()));
  await producer.close();
  await pool.end();
  await Promise.allSettled([database.drop(), topics.remove()]);
}

async function measure(run: string): Promise<RunFigures> {
  const replicas = Number(run.split('-')[0]);
  const peers = run.endsWith('-peers');
  console.log(`== ${run}: starting ${replicas} replica(s)`);
  // Info logs on peers replicas: they say why a relay fell back to Kafka (read back at the end).
  const runEnv = peers ? { ...env, CELERIAC_LOG_LEVEL: 'info' } : env;
  const gateways = await startTier({ replicas, peers, partitions: settings.partitions, env: runEnv, pool });
  const held: Held[] = [];
  const watchers: Watcher[] = [];
  const monitor = peers ? monitorTier(pool, gateways) : undefined;
  try {
    const rssIdle = gateways.map((gateway) => rssMb(gateway.process.pid));
    held.push(
      ...(await Promise.all(
        gateways.map((gateway, i) =>
          holdClients(gateway, idle, settings.clients, clientKeys(i), CLIENTS_PER_KEY),
        ),
      )),
    );
    const rssHeld = gateways.map((gateway) => rssMb(gateway.process.pid));
    console.log(`   clients held: ${held.map((h) => `${h.opened} in ${h.ms} ms`).join(', ')}`);
    for (const gateway of gateways)
      for (const connection of live) watchers.push(await watch(gateway, connection.id, key));
    const owners = new Map<number, Gateway | undefined>();
    if (peers)
      for (const connection of live)
        owners.set(
          connection.partition,
          await ownerOfPartition(pool, gateways, connection.partition, settings.partitions),
        );
    const auth = { authorization: `Bearer ${key}` };
    const queries = gateways.map((gateway) =>
      querier(gateway.url, `${settings.apiPath}&connectionId=${live[0]?.id}`, auth),
    );
    const ids = live.map((connection) => connection.id);
    await ingest(producer, ids, settings.rate, settings.warmupSeconds);

    const snapshot = () =>
      Promise.all(
        gateways.map(async (gateway) => ({
          bytes: await scrape(gateway, 'celeriac_gateway_kafka_fetch_bytes_total'),
          cpu: cpuSeconds(gateway.process.pid),
        })),
      );
    const before = await snapshot();
    const loadBefore = loadavg()[0] as number;
    const sampler = await sampleReplicas(gateways, rssHeld, (layout) => monitor?.layout(layout));
    const window = await ingest(producer, ids, settings.rate, settings.seconds);
    const { peakRss, loopLagMs, heapMb } = sampler.stop();
    const inWindow = (watcher: Watcher) =>
      watcher.samples.filter((s) => s.stampMs >= window.from && s.stampMs <= window.to + 3);
    const expected = (watcher: Watcher) => window.perConnection.get(watcher.connectionId) ?? 0;
    // Drained: every watcher has every event of the window, or none got anything new for 5 s.
    let seen = -1;
    let movedAt = Date.now();
    await waitFor(
      'the watchers to receive the window',
      () => {
        const got = watchers.reduce((sum, watcher) => sum + inWindow(watcher).length, 0);
        if (got !== seen) [seen, movedAt] = [got, Date.now()];
        return watchers.every((w) => inWindow(w).length >= expected(w)) || Date.now() - movedAt > 5_000;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const after = await snapshot();
    const health = await monitor?.stop();
    if (health) {
      const events = tierEvents(gateways);
      health.fallbackReasons = events.fallbacks;
      health.memberChanges = events.memberChanges;
    }
    const loadAfter = loadavg()[0] as number;
    await Promise.all(queries.map((query) => query.stop()));
    const relayed = (watcher: Watcher) => {
      const partition = live.find((c) => c.id === watcher.connectionId)?.partition ?? -1;
      return peers && owners.get(partition) !== watcher.gateway;
    };
    const replicaFigures = await Promise.all(
      gateways.map(async (gateway, i) => ({
        partitions: peers ? await scrape(gateway, 'celeriac_gateway_peer_partitions') : settings.partitions,
        fetchBytes: (after[i]?.bytes ?? 0) - (before[i]?.bytes ?? 0),
        cpuSeconds: (after[i]?.cpu ?? 0) - (before[i]?.cpu ?? 0),
        clients: held[i] as Held,
        rssIdleMb: rssIdle[i] ?? Number.NaN,
        rssHeldMb: rssHeld[i] ?? Number.NaN,
        rssPeakMb: peakRss[i] ?? Number.NaN,
        apiMs: (queries[i]?.latencies ?? [])
          .filter((l) => l.at >= window.from && l.at <= window.to)
          .map((l) => l.ms),
        apiFailures: queries[i]?.failures() ?? 0,
        relaysReceived: peers ? await scrape(gateway, 'celeriac_gateway_peer_relays', 'side="received"') : 0,
        fallbacks: peers ? await scrape(gateway, 'celeriac_gateway_peer_fallbacks_total') : 0,
        loopLagMaxMs: loopLagMs[i] ?? Number.NaN,
        heapPeakMb: heapMb[i] ?? Number.NaN,
      })),
    );
    const latency = (through: boolean) =>
      watchers.filter((w) => relayed(w) === through).flatMap((w) => inWindow(w).map((s) => s.latencyMs));
    return {
      run,
      replicas,
      peers,
      events: window.events,
      produceMs: window.produceMs,
      seconds: (window.to + 20 - window.from) / 1000,
      replicaFigures,
      ownLatencyMs: latency(false),
      relayLatencyMs: latency(true),
      delivered: watchers.reduce((sum, watcher) => sum + inWindow(watcher).length, 0),
      expected: watchers.reduce((sum, watcher) => sum + expected(watcher), 0),
      load: [loadBefore, loadAfter],
      health,
    };
  } finally {
    await monitor?.stop();
    for (const watcher of watchers) watcher.close();
    for (const clients of held) clients.close();
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
  }
}
