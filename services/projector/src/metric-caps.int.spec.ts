import { randomUUID } from 'node:crypto';
import { CeleryEvent } from '@celeriac/proto/events';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedOffset, createLogIo } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';
import { DEFAULT_LABEL_CAPS } from './metrics';

const stack = readStackEnv();
const GROUP = 'metric-caps-int';
const NOISY = randomUUID();
const QUIET = randomUUID();

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let io: ReturnType<typeof createLogIo>;
let projector: Awaited<ReturnType<typeof startProjector>>;

const received = (connectionId: string, i: number, name: string) =>
  CeleryEvent.fromPartial({
    eventId: `${connectionId.slice(0, 8)}-${i}`,
    connectionId,
    type: 'task-received',
    hostname: 'w@host',
    timestamp: Date.now() / 1000,
    clock: i,
    receivedAtMs: Date.now(),
    body: { $case: 'task', value: { uuid: `${connectionId}-${i}`, name } },
    extraJson: '{}',
  });

beforeAll(async () => {
  [database, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'], 2)]);
  io = createLogIo(stack.kafkaBrokers);
  await io.connect();
  projector = await startProjector({
    databaseUrl: database.url,
    brokers: stack.kafkaBrokers,
    topic: topics.topics.events as string,
    group: GROUP,
  });
}, 120_000);

afterAll(async () => {
  await projector?.stop();
  await io?.close();
  await topics?.remove();
  await database?.drop();
});

describe('metric label caps with the default configuration', () => {
  it('turns 10,000 distinct task names from one broker into a bounded set of series, without touching another tenant', async () => {
    const topic = topics.topics.events as string;
    const flood = Array.from({ length: 10_000 }, (_, i) => received(NOISY, i, `tasks.generated_${i}`));
    await io.produce(topic, [...flood, received(QUIET, 1, 'tasks.quiet')]);
    const end = await io.endOffset(topic);
    await waitFor(
      'projector to apply the flood',
      async () => (await appliedOffset(database.url, GROUP, topic)) >= end,
      {
        timeoutMs: 120_000,
      },
    );
    const lines = (await projector.metrics.registry.metrics()).split('\n');
    const noisy = lines.filter((l) => l.startsWith(`flower_events_total{connection="${NOISY}"`));
    expect(noisy).toHaveLength(DEFAULT_LABEL_CAPS.valuesPerLabel + 1);
    const total = noisy.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(total).toBe(10_000);
    expect(lines).toContain(
      `flower_events_total{connection="${QUIET}",worker="w@host",type="task-received",task="tasks.quiet"} 1`,
    );
    const folded = lines.find((l) =>
      l.startsWith(
        `celeriac_projector_metric_labels_folded_total{connection="${NOISY}",metric="flower_events_total"}`,
      ),
    );
    expect(folded).toBe(
      `celeriac_projector_metric_labels_folded_total{connection="${NOISY}",metric="flower_events_total"} ${10_000 - DEFAULT_LABEL_CAPS.valuesPerLabel}`,
    );
  });
});
