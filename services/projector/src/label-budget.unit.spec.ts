import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchOutcome } from './apply-batch';
import type { TaskObservation } from './batch-fold';
import { createLabelBudget, OTHER } from './label-budget';
import { createProjectorMetrics, forgetWorker, recordOutcome } from './metrics';

const A = randomUUID();
const B = randomUUID();

function outcomeOf(observations: Omit<TaskObservation, 'runtime' | 'prefetchSeconds' | 'finished'>[]) {
  const full: TaskObservation[] = observations.map((o) => ({
    ...o,
    runtime: 0.25,
    prefetchSeconds: null,
    finished: true,
  }));
  return {
    applied: full.length,
    duplicates: 0,
    ignored: 0,
    skipped: new Map(),
    nextOffset: full.length,
    changes: { observations: full },
  } as unknown as BatchOutcome;
}

const seriesLines = (text: string, name: string) =>
  text.split('\n').filter((line) => line.startsWith(`${name}{`));

describe('metric label caps', () => {
  it('records 10,000 distinct task names of one connection under at most the cap of series, the rest as other', async () => {
    const metrics = createProjectorMetrics({
      valuesPerLabel: 100,
      seriesPerMetric: 5000,
      maxValueLength: 200,
      bytesPerConnection: 1_000_000,
    });
    const names = Array.from({ length: 10_000 }, (_, i) => `tasks.generated_${i}`);
    recordOutcome(
      metrics,
      outcomeOf(
        names.map((taskName) => ({
          connectionId: A,
          type: 'task-succeeded',
          hostname: 'w1@h',
          taskName,
          workerHostname: 'w1@h',
        })),
      ),
    );
    const text = await metrics.registry.metrics();
    const events = seriesLines(text, 'flower_events_total');
    expect(events).toHaveLength(101);
    expect(events).toContain(
      `flower_events_total{connection="${A}",worker="w1@h",type="task-succeeded",task="${OTHER}"} 9900`,
    );
    expect(events).toContain(
      `flower_events_total{connection="${A}",worker="w1@h",type="task-succeeded",task="tasks.generated_0"} 1`,
    );
    expect(seriesLines(text, 'flower_task_runtime_seconds_count')).toHaveLength(101);
    expect(text).toContain(
      `celeriac_projector_metric_labels_folded_total{connection="${A}",metric="flower_events_total"} 9900`,
    );
  });

  it("gives each connection its own cap, so one tenant's names never push another's into other", async () => {
    const metrics = createProjectorMetrics({
      valuesPerLabel: 3,
      seriesPerMetric: 5000,
      maxValueLength: 200,
      bytesPerConnection: 1_000_000,
    });
    const flood: Omit<TaskObservation, 'runtime' | 'prefetchSeconds' | 'finished'>[] = Array.from(
      { length: 50 },
      (_, i) => ({
        connectionId: A,
        type: 'task-received',
        hostname: 'w@a',
        taskName: `a.${i}`,
        workerHostname: 'w@a',
      }),
    );
    recordOutcome(
      metrics,
      outcomeOf([
        ...flood,
        {
          connectionId: B,
          type: 'task-received',
          hostname: 'w@b',
          taskName: 'b.only',
          workerHostname: 'w@b',
        },
      ]),
    );
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      `flower_events_total{connection="${B}",worker="w@b",type="task-received",task="b.only"} 1`,
    );
  });

  it('puts every label from event data beside a connection label', async () => {
    const metrics = createProjectorMetrics();
    const data = new Set(['worker', 'task', 'type']);
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      const names = (metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] })
        .labelNames;
      if (names.some((name) => data.has(name)))
        expect({ metric: metric.name, names }).toMatchObject({
          names: expect.arrayContaining(['connection']),
        });
    }
  });

  it('folds a whole label set into other once a metric holds its cap of series', () => {
    const budget = createLabelBudget({
      valuesPerLabel: 1000,
      seriesPerMetric: 10,
      maxValueLength: 200,
      bytesPerConnection: 1_000_000,
    });
    const kept = Array.from({ length: 30 }, (_, i) =>
      budget.labels('m', A, { worker: `w${i % 6}`, task: `t${i % 5}` }),
    );
    expect(kept.filter((r) => !r.folded)).toHaveLength(10);
    expect(kept.at(-1)?.labels).toEqual({ connection: A, worker: OTHER, task: OTHER });
  });

  it('folds values longer than the length cap', () => {
    const budget = createLabelBudget({
      valuesPerLabel: 1000,
      seriesPerMetric: 1000,
      maxValueLength: 200,
      bytesPerConnection: 1_000_000,
    });
    expect(budget.labels('m', A, { task: 'x'.repeat(201) }).labels.task).toBe(OTHER);
    expect(budget.labels('m', A, { task: 'x'.repeat(200) }).labels.task).toBe('x'.repeat(200));
  });

  it('counts the names it keeps in bytes per connection, folding long names once the budget is spent', () => {
    const budget = createLabelBudget({
      valuesPerLabel: 1000,
      seriesPerMetric: 1000,
      maxValueLength: 200,
      bytesPerConnection: 10_000,
    });
    // 95 two-byte characters and 5 digits: 100 characters, 195 UTF-8 bytes.
    const long = (i: number) => `${'é'.repeat(95)}${String(i).padStart(5, '0')}`;
    const kept = Array.from({ length: 200 }, (_, i) => budget.labels('m', A, { task: long(i) })).filter(
      (r) => !r.folded,
    );
    // Each kept name costs its value and its series key (connection id, a separator, the value).
    expect(kept).toHaveLength(Math.floor(10_000 / (195 + 36 + 1 + 195)));
    expect(budget.labels('m', B, { task: long(1) }).folded).toBe(false);
  });

  it("drops a forgotten worker's series and frees its place under the cap", async () => {
    const metrics = createProjectorMetrics({
      valuesPerLabel: 1,
      seriesPerMetric: 100,
      maxValueLength: 200,
      bytesPerConnection: 1_000_000,
    });
    const seen = (hostname: string) => ({
      connectionId: A,
      type: 'task-succeeded',
      hostname,
      taskName: 't',
      workerHostname: hostname,
    });
    recordOutcome(metrics, outcomeOf([seen('old@h')]));
    forgetWorker(metrics, A, 'old@h');
    recordOutcome(metrics, outcomeOf([seen('new@h')]));
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('old@h');
    expect(text).toContain(
      `flower_events_total{connection="${A}",worker="new@h",type="task-succeeded",task="t"} 1`,
    );
  });
});
