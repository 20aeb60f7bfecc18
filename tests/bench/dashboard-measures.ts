import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';

export interface BundleSize {
  firstLoadJsGzip: number;
  firstLoadCssGzip: number;
  firstLoadJsRaw: number;
  allAssets: number;
}

/** What index.html makes the browser fetch (scripts, module preloads, styles), gzipped at level 9. */
export function bundleSize(dist: string): BundleSize {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map(
    (match) => match[1] as string,
  );
  const sizes = { firstLoadJsGzip: 0, firstLoadCssGzip: 0, firstLoadJsRaw: 0, allAssets: 0 };
  for (const file of referenced) {
    const bytes = readFileSync(join(dist, file));
    const gzip = gzipSync(bytes, { level: 9 }).length;
    if (file.endsWith('.js')) {
      sizes.firstLoadJsGzip += gzip;
      sizes.firstLoadJsRaw += bytes.length;
    } else if (file.endsWith('.css')) sizes.firstLoadCssGzip += gzip;
  }
  sizes.allAssets = readdirSync(join(dist, 'assets')).length;
  return sizes;
}

/** Milliseconds from navigation to the first task row on screen, measured in the page. */
export async function firstRowsMs(page: Page, url: string): Promise<number> {
  await page.goto('about:blank');
  const started = Date.now();
  await page.goto(url, { waitUntil: 'commit' });
  await page.locator('tbody tr').first().waitFor({ timeout: 60_000 });
  return Date.now() - started;
}

/** Installed before the load: long tasks, the render time of each live batch and every frame gap. */
export const OBSERVE_PAGE = `(() => {
  const bench = { longTasks: [], batches: [], frameGaps: [] };
  window.__bench = bench;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) bench.longTasks.push(e.duration); })
    .observe({ type: 'longtask' });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'celeriac:batch') bench.batches.push(e.duration);
  }).observe({ type: 'measure' });
  let last = performance.now();
  const tick = (t) => { bench.frameGaps.push(t - last); last = t; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})()`;

export interface LiveFigures {
  longTasks: number[];
  batches: number[];
  frameGaps: number[];
}

export async function readLiveFigures(page: Page): Promise<LiveFigures> {
  return (await page.evaluate('window.__bench')) as LiveFigures;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
