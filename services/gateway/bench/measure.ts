/** Sequential latency samples of one GET, after a warm-up; returns milliseconds percentiles. */
export async function measureLatency(
  url: string,
  headers: Record<string, string>,
  options: { warmup: number; samples: number },
): Promise<{ p50: number; p95: number; p99: number; max: number; items: number }> {
  let items = 0;
  const once = async () => {
    const started = performance.now();
    const response = await fetch(url, { headers });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
    const parsed = JSON.parse(body) as { items?: unknown[] };
    items = Array.isArray(parsed.items) ? parsed.items.length : Object.keys(parsed).length;
    return performance.now() - started;
  };
  for (let index = 0; index < options.warmup; index++) await once();
  const samples: number[] = [];
  for (let index = 0; index < options.samples; index++) samples.push(await once());
  samples.sort((a, b) => a - b);
  const at = (fraction: number) =>
    samples[Math.min(samples.length - 1, Math.floor(fraction * samples.length))] as number;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: samples[samples.length - 1] as number, items };
}
