/** What the stack benchmark measures with: publish timeline, API latency client, percentiles, RSS. */
import { readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};
export const rssMb = (pid: number | undefined) => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
};

/**
 * CPU seconds (user + system) a process used so far, from /proc/<pid>/stat (fields 14 and 15, in
 * clock ticks of 1/100 s on Linux); a delta over a window is that window's CPU.
 */
export const cpuSeconds = (pid: number | undefined) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** The publish timeline: how many events (all, and task events) were out at each moment. */
export class Timeline {
  readonly times: number[] = [];
  readonly all: number[] = [];
  readonly task: number[] = [];
  record(at: number, all: number, task: number) {
    this.times.push(at);
    this.all.push(all);
    this.task.push(task);
  }
  /** When the `count`-th event of the series was published (first moment the count reached it). */
  publishedAt(series: 'all' | 'task', count: number): number | undefined {
    const values = this[series];
    let low = 0;
    let high = values.length - 1;
    if (high < 0 || (values[high] as number) < count) return undefined;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((values[middle] as number) >= count) high = middle;
      else low = middle + 1;
    }
    return this.times[low];
  }
}

/** One client asking `path` back to back; every answer's latency, and the failures (5 s timeout). */
export function querier(url: string, path: string, headers: Record<string, string>) {
  const latencies: { at: number; ms: number }[] = [];
  let failures = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(5000) });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(String(response.status));
        latencies.push({ at: Date.now(), ms: performance.now() - started });
      } catch {
        failures += 1;
      }
      await sleep(100);
    }
  })();
  return {
    latencies,
    failures: () => failures,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
