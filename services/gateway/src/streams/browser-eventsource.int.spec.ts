import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { formatEventId } from './cursor';
import { queuesEvent, taskLifecycle, workerEvent } from './event-fixtures';
import { createEventProducer, grantKeys, type Replica, startReplica } from './live-streams.testkit';
import { entryOf } from './stream-entries';
import { TaskTracker, WorkerTracker } from './trackers';

const CHROMIUM = '/usr/bin/chromium';

/** Why the browser cannot run, or null. `npm test` installs Debian's chromium (infra/local/test.sh). */
function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `${CHROMIUM} is missing: run the tests with \`npm test\` (it installs Debian's chromium) or apt-get install chromium`;
}

/** Chromium's DevTools protocol over `ws`: enough to open a page and read a value from it. */
async function launchBrowser(profile: string): Promise<{
  process: ChildProcess;
  evaluate(url: string): Promise<(expression: string) => Promise<unknown>>;
}> {
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const endpoint = await waitFor(
    'chromium DevTools endpoint',
    () => /DevTools listening on (ws:\/\/\S+)/.exec(output)?.[1],
    { timeoutMs: 60_000 },
  );
  const socket = new WebSocket(endpoint, { perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let nextId = 0;
  const pending = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: unknown;
    };
    if (message.id !== undefined) pending.get(message.id)?.(message);
  });
  const call = (method: string, params: Record<string, unknown>, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      nextId += 1;
      pending.set(nextId, (message) =>
        message.error ? reject(new Error(JSON.stringify(message.error))) : resolve(message.result ?? {}),
      );
      socket.send(JSON.stringify({ id: nextId, method, params, sessionId }));
    });
  return {
    process: child,
    async evaluate(url) {
      const { targetId } = await call('Target.createTarget', { url });
      const { sessionId } = (await call('Target.attachToTarget', { targetId, flatten: true })) as {
        sessionId: string;
      };
      return async (expression) => {
        const reply = (await call('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as {
          result?: { value?: unknown };
        };
        return reply.result?.value;
      };
    },
  };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>celeriac stream</title><script>
  const params = new URLSearchParams(location.search);
  window.received = [];
  window.opened = false;
  const source = new EventSource('/api/events/stream?connectionId=' + params.get('connectionId') + '&token=' + params.get('token'));
  source.onopen = () => { window.opened = true; };
  for (const kind of ['job:state_change', 'worker:heartbeat', 'worker:state_change', 'queue:snapshot']) {
    source.addEventListener(kind, (event) => window.received.push({ id: event.lastEventId, event: kind, data: event.data }));
  }
</script>`;

describe("headless Chromium's own EventSource", () => {
  const stack = readStackEnv();
  const connectionId = randomUUID();
  const missing = chromiumMissing();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let replica: Replica | undefined;
  let browser: ChildProcess | undefined;
  const profile = mkdtempSync(join(tmpdir(), 'celeriac-chromium-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    topics = await createTestTopics(['events']);
  });

  afterAll(async () => {
    browser?.kill('SIGKILL');
    await replica?.stop();
    await topics?.remove();
    await db?.drop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('receives every event of a workload, in order, authenticated by ?token=', async () => {
    // A missing browser fails the test rather than skipping it: a skip would hide that it never ran.
    if (missing) throw new Error(missing);
    const topic = topics.topics.events as string;
    const keys = await grantKeys(db.url, { 'key-a': [connectionId] });
    replica = await startReplica({
      databaseUrl: db.url,
      brokers: stack.kafkaBrokers,
      topic,
      page: PAGE,
    });
    const launched = await launchBrowser(profile);
    browser = launched.process;
    const evaluate = await launched.evaluate(
      `${replica.base}/page.html?connectionId=${connectionId}&token=${keys['key-a']}`,
    );
    await waitFor(
      'the page to open its EventSource',
      async () => (await evaluate('window.opened')) === true,
      { timeoutMs: 60_000 },
    );

    const events = [workerEvent(connectionId, 'worker-online', 'celery@w1')];
    for (let i = 0; i < 15; i += 1)
      events.push(
        ...taskLifecycle(connectionId, randomUUID()),
        workerEvent(connectionId, 'worker-heartbeat', 'celery@w1', { active: i }),
      );
    events.push(queuesEvent(connectionId, [{ name: 'celery', messages: 3, consumers: 1 }]));
    const producer = await createEventProducer(stack.kafkaBrokers, topic);
    const produced = await producer.send(events).finally(() => producer.close());

    const trackers = { tasks: new TaskTracker(1_000), workers: new WorkerTracker(100) };
    const expected = produced.flatMap(({ event, partition, offset }) =>
      entryOf(event, partition, offset, trackers).sse.map((item, index) => ({
        id: formatEventId({ partition, offset, index }),
        event: item.event,
        data: item.data,
      })),
    );
    await waitFor(
      'the browser to receive the workload',
      async () => Number(await evaluate('window.received.length')) >= expected.length,
      { timeoutMs: 60_000 },
    );
    expect(JSON.parse(String(await evaluate('JSON.stringify(window.received)')))).toEqual(expected);
  });
});
