import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The gateway's SQL lives in data/ alone, and reads the projector's work only through the views the
 * schema package owns (migration 0010), never the projector's own tables.
 */
const SRC = fileURLToPath(new URL('../', import.meta.url));

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['testing', 'bench'].includes(entry.name) ? [] : productionFiles(path);
    const test = /\.(spec|testkit)\.ts$/.test(entry.name);
    return entry.name.endsWith('.ts') && !test ? [relative(SRC, path)] : [];
  });
}

const sources = productionFiles(SRC).map((file) => ({ file, text: readFileSync(join(SRC, file), 'utf8') }));
const STATEMENT = /\b(?:FROM|JOIN|INTO|UPDATE)\s+celeriac\.\w+|\.query\s*[<(]/;
const PROJECTOR_PRIVATE = /\b(?:FROM|JOIN)\s+celeriac\.(?:task_events|projector_offsets)\b/;

describe('gateway SQL ownership', () => {
  it('scans the gateway sources', () => {
    expect(sources.map((source) => source.file)).toEqual(
      expect.arrayContaining(['main.ts', 'data/tasks-store.ts', 'streams/task-history.ts']),
    );
  });

  it('runs SQL only in data/', () => {
    const outside = sources.filter(({ file, text }) => !file.startsWith('data/') && STATEMENT.test(text));
    expect(outside.map((source) => source.file)).toEqual([]);
  });

  it("reads neither the projector's task_events nor its projector_offsets", () => {
    const readers = sources.filter(({ text }) => PROJECTOR_PRIVATE.test(text));
    expect(readers.map((source) => source.file)).toEqual([]);
  });
});
