import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CeleryEvent } from '@celeriac/proto/events';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { WebSocket } from 'ws';
import { taskEvent, taskLifecycle } from '../event-fixtures';
import { createEventProducer, grantKeys } from '../live-streams.testkit';
import { sseClient } from './sse-client';

/**
 * Live-streams benchmark: `node --import tsx services/gateway/src/streams/bench/streams-bench.ts`.
 * 1. Holds CLIENTS idle-ish SSE and WebSocket clients on one replica (its own process) and reads its RSS.
 * 2. With those still connected, produces RATE events/s to Kafka for SECONDS and measures
 *    event-to-client latency (collector receive time stamped at produce -> client parse) on watching
 *    SSE and WS clients. Writes bench/REPORT.md next to this file.
 */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 5_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
// Long enough to fill the default 50,000-entry replay ring, so the RSS is the steady state.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 75);
const WATCHERS = 20;
const here = fileURLToPath(new URL('.', import.meta.url));

/** The benchmark's API key, granted all its connections before the replica starts. */
let benchKey = '';

const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function watchSse(port: number, connectionId: string, onEvent?: (data: string) => void): Promise<unknown> {
  return sseClient({
    port,
    path: `/api/events/stream?connectionId=${connectionId}&types=job`,
    key: benchKey,
    onEvent: onEvent && ((event, data) => event === 'job:state_change' && onEvent(data)),
  });
}

function wsClient(
  port: number,
  connectionId: string,
  task: string,
  onFrame?: (data: string) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}/${task}?connectionId=${connectionId}&token=${benchKey}`,
      {
        perMessageDeflate: false,
      },
    );
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    if (onFrame) ws.on('message', (data) => onFrame(String(data)));
  });
}

async function main(): Promise<void> {
  const stack = readStackEnv();
  const db = await createTestDatabase();
  const topics = await createTestTopics(['events']);
  const topic = topics.topics.events as string;
  // Phase 1 spreads its clients over 50 connections, phase 2 watches one more.
  const idleConnections = Array.from({ length: 50 }, () => randomUUID());
  const live = randomUUID();
  benchKey = (await grantKeys(db.url, { bench: [...idleConnections, live] })).bench;
  const server = spawn(process.execPath, ['--import', 'tsx', `${here}bench-server.ts`], {
    env: { ...process.env, BENCH_DATABASE_URL: db.url, BENCH_TOPIC: topic },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    createInterface({ input: server.stdout! }).once('line', (line) =>
      resolve((JSON.parse(line) as { port: number }).port),
    ),
  );
  const pid = server.pid as number;
  const producer = await createEventProducer(stack.kafkaBrokers, topic);
  try {
    const rssIdle = rssOf(pid);
    // Phase 1: many clients, spread over 50 connections (SSE) and as many tasks (WS).
    const sockets: WebSocket[] = [];
    const openStarted = Date.now();
    for (let i = 0; i < CLIENTS; i += 1) {
      const connectionId = idleConnections[i % idleConnections.length] as string;
      if (i % 2 === 0) await watchSse(port, connectionId);
      else sockets.push(await wsClient(port, connectionId, randomUUID()));
    }
    const openMs = Date.now() - openStarted;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssHeld = rssOf(pid);

    // Phase 2: latency at RATE events/s on one connection, with the idle clients still connected.
    const sseLatency: number[] = [];
    const wsLatency: number[] = [];
    const watched = Array.from({ length: WATCHERS }, () => randomUUID());
    for (let i = 0; i < WATCHERS; i += 1) {
      await watchSse(port, live, (data) =>
        sseLatency.push(Date.now() - Date.parse((JSON.parse(data) as { timestamp: string }).timestamp)),
      );
      sockets.push(
        await wsClient(port, live, watched[i] as string, (data) =>
          wsLatency.push(Date.now() - (JSON.parse(data) as { local_received: number }).local_received * 1000),
        ),
      );
    }
    const tickMs = 20;
    const perTick = Math.round((RATE * tickMs) / 1000);
    let produced = 0;
    let peakRss = 0;
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) {
      const tickStart = Date.now();
      const events: CeleryEvent[] = [];
      // One progress event for a watched task per tick, the rest task lifecycles.
      events.push(
        taskEvent(
          live,
          'task-progress',
          { uuid: watched[produced % WATCHERS] as string },
          { atMs: tickStart },
        ),
      );
      // Catch up on timer drift so the mean rate is RATE.
      const due = Math.max(perTick, Math.round(((tickStart - started) / 1000) * RATE) + perTick - produced);
      while (events.length < due) events.push(...taskLifecycle(live, randomUUID(), tickStart));
      await producer.sendBatch(events);
      produced += events.length;
      peakRss = Math.max(peakRss, rssOf(pid));
      const wait = tickMs - (Date.now() - tickStart);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const elapsed = (Date.now() - started) / 1000;
    await waitFor('the last events to arrive', () => sseLatency.length >= produced * WATCHERS * 0.5, {
      timeoutMs: 30_000,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    sseLatency.sort((a, b) => a - b);
    wsLatency.sort((a, b) => a - b);
    for (const ws of sockets) ws.terminate();

    const line = (name: string, sorted: number[]) =>
      `| ${name} | ${sorted.length} | ${pct(sorted, 50)} | ${pct(sorted, 95)} | ${pct(sorted, 99)} | ${sorted.at(-1)} |`;
    const report = [
      '## Gateway live streams (SSE + wscelery)',
      '',
      `Command: \`node --import tsx services/gateway/src/streams/bench/streams-bench.ts\` (this run: BENCH_CLIENTS=${CLIENTS} BENCH_RATE=${RATE} BENCH_SECONDS=${SECONDS}; replica defaults: 50,000-entry replay ring, 4 MiB client budget).`,
      `Run: ${new Date().toISOString()} on ${cpus()[0]?.model ?? '?'} x ${cpus().length} cores, ${mb(totalmem())} RAM, node ${process.version}.`,
      'Kafka, PostgreSQL, the replica (own process) and the load generator (this process: producer and all clients) shared the same 2 cores; other processes (e.g. concurrent test runs) may have used the same cores.',
      '',
      '### Clients held by one replica',
      '',
      `| clients | SSE | WS | time to open | replica RSS before | RSS holding them | target |`,
      `|---|---|---|---|---|---|---|`,
      `| ${CLIENTS} | ${Math.ceil(CLIENTS / 2)} | ${Math.floor(CLIENTS / 2)} | ${(openMs / 1000).toFixed(1)} s | ${mb(rssIdle)} | ${mb(rssHeld)} | 5,000 under 300 MB: ${CLIENTS >= 5000 && rssHeld < 300 * 1024 * 1024 ? 'reached' : 'NOT reached'} |`,
      '',
      `### Event-to-client latency at ${RATE} events/s`,
      '',
      `${produced} events in ${elapsed.toFixed(1)} s (${(produced / elapsed).toFixed(0)}/s) to one connection, produced in batches every ${tickMs} ms; ${WATCHERS} SSE clients watch the connection (types=job) and ${WATCHERS} WS clients watch one task each, while the ${CLIENTS} clients above stay connected. Latency = client receive time - the event's collector receive time (stamped just before the produce), so it includes the Kafka produce, the replica's tail fetch and the fan-out. Peak replica RSS during the run: ${mb(peakRss)}.`,
      '',
      '| stream | samples | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---|---|---|---|---|',
      line('SSE job:state_change', sseLatency),
      line('WS task frames', wsLatency),
      '',
      `Target p99 < 250 ms: ${Math.max(pct(sseLatency, 99), pct(wsLatency, 99)) < 250 ? 'reached' : 'NOT reached'}.`,
      '',
    ].join('\n');
    writeFileSync(`${here}REPORT.md`, report);
    process.stdout.write(report);
  } finally {
    await producer.close();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await topics.remove();
    await db.drop();
  }
}

await main();
process.exit(0);
