import { describe, expect, it } from 'vitest';
import { promqlGroupingLabels, promqlMetricNames, promqlSelectors } from './promql-names';

describe('promqlMetricNames', () => {
  it('finds the metrics of aggregations, binary operators and matchers, not labels or functions', () => {
    expect(
      promqlMetricNames(
        'sum by (task) (rate(flower_events_total{type="task-failed", task=~"a|b"}[10m])) / ' +
          'sum without (worker) (rate(flower_events_total[10m])) > 0.1 and on (job, instance) up',
      ),
    ).toEqual(['flower_events_total', 'up']);
  });

  it('reads recording-rule names and skips numbers, keywords, durations and Grafana variables', () => {
    expect(
      promqlMetricNames(
        'celeriac:worker_online:max == 0 and max_over_time(celeriac:worker_online:max[1h]) == bool 1e3 ' +
          'unless x offset 5m or histogram_quantile(0.99, sum(rate(h_bucket{worker=~"$worker"}[$__rate_interval])) by (le))',
      ),
    ).toEqual(['celeriac:worker_online:max', 'h_bucket', 'x']);
  });

  it('handles group_left, strings with braces and label_replace arguments', () => {
    expect(
      promqlMetricNames(
        'a * on (instance) group_left (version) b{x="}"} + label_replace(c, "dst", "$1", "src", "(.*)")',
      ),
    ).toEqual(['a', 'b', 'c']);
  });
});

describe('promqlSelectors and promqlGroupingLabels', () => {
  const expr =
    'sum by (task, le) (rate(h_bucket{type="a,b}", worker!~"x"}[5m])) / on (job) group_left () ' +
    'max without (instance) (g{le="+Inf"}) and c';

  it('lists the label names each selector matches on, strings with braces or commas included', () => {
    expect(promqlSelectors(expr)).toEqual([
      { metric: 'h_bucket', labels: ['type', 'worker'] },
      { metric: 'g', labels: ['le'] },
    ]);
  });

  it('lists the labels of every grouping and matching clause', () => {
    expect(promqlGroupingLabels(expr)).toEqual(['instance', 'job', 'le', 'task']);
  });
});
