/** Capped exponential backoff with full jitter: delay for the n-th consecutive failure (n from 0). */
export function backoffDelayMs(
  attempt: number,
  options: { baseMs?: number; maxMs?: number } = {},
  random = Math.random,
): number {
  const base = options.baseMs ?? 200;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or early (without error) when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
