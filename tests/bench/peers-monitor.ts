/**
 * What the peers tier did during a run, sampled every second: how late each replica's heartbeat
 * was (a replica whose row is older than the TTL counts as gone for the others, who then take its
 * partitions), how many members were live, and (told by the caller) each replica's partitions read.
 */
import type pg from 'pg';
import { type Gateway, scrapeMany } from './peers-tier';
import { rssMb } from './stack-measures';

export interface TierHealth {
  /** Per replica, the oldest its heartbeat row got (seconds since the last renewal). */
  maxRenewAgeS: number[];
  minLiveMembers: number;
  /** Distinct partition counts per replica (e.g. "2,3,1"), in the order they were seen. */
  layouts: string[];
  /** From the replicas' logs: relay fallbacks by reason, and membership changes seen. */
  fallbackReasons?: Map<string, number>;
  memberChanges?: number;
}

export function monitorTier(pool: pg.Pool, gateways: readonly Gateway[]) {
  const health: TierHealth = {
    maxRenewAgeS: gateways.map(() => 0),
    minLiveMembers: gateways.length,
    layouts: [],
  };
  let running = true;
  const sample = async () => {
    const { rows } = await pool.query<{ peer_address: string; age: number; live: boolean }>(
      `SELECT peer_address, extract(epoch FROM now() - renewed_at)::float8 AS age, expires_at > now() AS live
         FROM celeriac.gateway_members`,
    );
    health.minLiveMembers = Math.min(health.minLiveMembers, rows.filter((row) => row.live).length);
    gateways.forEach((gateway, i) => {
      const age =
        rows.find((row) => row.peer_address === gateway.peerAddress)?.age ?? Number.POSITIVE_INFINITY;
      health.maxRenewAgeS[i] = Math.max(health.maxRenewAgeS[i] ?? 0, age);
    });
  };
  const done = (async () => {
    while (running) {
      await sample().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return {
    health,
    /** Partitions read per replica now (the caller scrapes /metrics every few seconds anyway). */
    layout(read: readonly number[]) {
      const layout = read.join(',');
      if (health.layouts.at(-1) !== layout) health.layouts.push(layout);
    },
    async stop(): Promise<TierHealth> {
      running = false;
      await done;
      return health;
    },
  };
}

/** The tier's own account (info logs): why relays fell back to Kafka, and membership changes. */
export function tierEvents(gateways: readonly Gateway[]): {
  fallbacks: Map<string, number>;
  memberChanges: number;
} {
  const fallbacks = new Map<string, number>();
  let memberChanges = 0;
  for (const gateway of gateways)
    for (const line of gateway.output().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        if (entry.msg === 'gateway members changed') memberChanges += 1;
        if (entry.msg !== 'relay unavailable; reading Kafka') continue;
        const reason = (entry.err?.message ?? 'unknown').slice(0, 120);
        fallbacks.set(reason, (fallbacks.get(reason) ?? 0) + 1);
      } catch {
        // Not a log entry of ours.
      }
    }
  return { fallbacks, memberChanges };
}

/**
 * Seconds between two /metrics reads of a replica. Prometheus scrapes every 15-30 s; each read walks
 * every open handle and file descriptor (prom-client's process metrics: 5,000 sockets here), which at
 * one read a second was 9% of a replica's CPU, load the product does not carry. Every 5 s keeps the
 * measured tier close to production and still follows ownership changes.
 */
const SAMPLE_MS = Number(process.env.BENCH_PEERS_SAMPLE_MS ?? 5_000);

/**
 * Each replica's peak RSS, heap used and worst event-loop delay, from one /metrics answer per replica
 * every SAMPLE_MS (reading it resets the delay histogram, so its max is the worst delay since the
 * last read); `onLayout` gets the partitions each replica reads.
 */
export async function sampleReplicas(
  gateways: readonly Gateway[],
  rssNowMb: readonly number[],
  onLayout: (read: number[]) => void,
) {
  const peakRss = [...rssNowMb];
  const loopLagMs = gateways.map(() => 0);
  const heapMb = gateways.map(() => 0);
  const sample = async () => {
    gateways.forEach((gateway, i) => {
      peakRss[i] = Math.max(peakRss[i] ?? 0, rssMb(gateway.process.pid));
    });
    const read = await Promise.all(
      gateways.map((gateway) =>
        scrapeMany(gateway, [
          ['nodejs_eventloop_lag_max_seconds'],
          ['nodejs_heap_size_used_bytes'],
          ['celeriac_gateway_peer_partitions'],
        ]),
      ),
    );
    read.forEach(([lag = 0, heap = 0], i) => {
      loopLagMs[i] = Math.max(loopLagMs[i] ?? 0, lag * 1000);
      heapMb[i] = Math.max(heapMb[i] ?? 0, heap / 2 ** 20);
    });
    onLayout(read.map((values) => values[2] ?? 0));
  };
  await sample();
  const timer = setInterval(() => void sample().catch(() => undefined), SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { peakRss, loopLagMs, heapMb };
    },
  };
}
