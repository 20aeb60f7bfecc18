/**
 * Guards what a newcomer reads: no tracked file outside docs/ cites a document the repository does
 * not hold, and no workspace imports another through a relative path (use the package name).
 * Known offenders are allow-listed in hygiene/allow-list.ts, which only ever shrinks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOWED_CITATIONS, ALLOWED_CROSS_IMPORTS } from './hygiene/allow-list';
import {
  expandWorkspaces,
  findCitations,
  findCrossWorkspaceImports,
  type Offence,
} from './hygiene/repository-scan';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
  .toString('utf8')
  .split('\0')
  .filter((file) => file && !file.startsWith('docs/') && !file.split('/').includes('node_modules'))
  // A tracked symlink to a folder or a file deleted in the work tree has no text to scan.
  .filter((file) => existsSync(join(ROOT, file)) && statSync(join(ROOT, file)).isFile());

const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
const workspaces = expandWorkspaces(rootPackage.workspaces, (dir) =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name),
);

const citations: Offence[] = [];
const crossImports: Offence[] = [];
for (const file of files) {
  const bytes = readFileSync(join(ROOT, file));
  if (bytes.includes(0)) continue; // binary
  const text = bytes.toString('utf8');
  citations.push(...findCitations(file, text));
  crossImports.push(...findCrossWorkspaceImports(file, text, workspaces));
}

const listing = (offences: Offence[]) => offences.map(({ file, line, found }) => `${file}:${line}: ${found}`);
const offendingFiles = (offences: Offence[]) => new Set(offences.map((offence) => offence.file));

describe('repository hygiene', () => {
  it('scans the tracked files of every workspace', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(workspaces).toEqual(expect.arrayContaining(['proto', 'tests', 'services/collector']));
  });

  it('cites no document outside the repository, except in allow-listed files', () => {
    expect(listing(citations.filter((offence) => !ALLOWED_CITATIONS.has(offence.file)))).toEqual([]);
  });

  it('has no relative import from one workspace into another, except in allow-listed files', () => {
    expect(listing(crossImports.filter((offence) => !ALLOWED_CROSS_IMPORTS.has(offence.file)))).toEqual([]);
  });

  it('allow-lists only files that still offend (remove an entry once its file is clean)', () => {
    const stale = (allowed: ReadonlySet<string>, offences: Offence[]) =>
      [...allowed].filter((file) => !offendingFiles(offences).has(file));
    expect({
      citations: stale(ALLOWED_CITATIONS, citations),
      crossImports: stale(ALLOWED_CROSS_IMPORTS, crossImports),
    }).toEqual({ citations: [], crossImports: [] });
  });
});
