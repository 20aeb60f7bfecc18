/**
 * What the repository-hygiene test looks for, as pure functions over one file's text, so the rules
 * can be unit-tested apart from the repository they guard.
 */
import { posix } from 'node:path';

/** One finding: where it is and what was found. */
export interface Offence {
  file: string;
  line: number;
  found: string;
}

/**
 * Citations of documents a reader of the repository does not have (the writers' private notes),
 * sayings about who wrote what, and development-machine paths. Written as case-insensitive
 * patterns, which also catch spelling variants, and so that this file cites nothing itself.
 */
export const FOREIGN_CITATIONS: readonly RegExp[] = [
  /wire[\s-]+protocol\s*§/i,
  /flower[-_ ]api[-_ ]behaviou?r/i,
  /celery[-_ ]wire[-_ ]protocol/i,
  /shared\/(?:design|reference|seeds)/i,
  /\bdesign\.md\b/i,
  /\b(?:streams|rest|other)\s+engineers?\b/i,
  /\/work\/main\//,
];

/** Every line of `text` that cites one of `patterns`, one offence per line and pattern. */
export function findCitations(file: string, text: string, patterns = FOREIGN_CITATIONS): Offence[] {
  const offences: Offence[] = [];
  text.split('\n').forEach((content, index) => {
    for (const pattern of patterns) {
      const match = pattern.exec(content);
      if (match) offences.push({ file, line: index + 1, found: match[0] });
    }
  });
  return offences;
}

// Relative module specifiers of static imports/exports, `import()` and `require()`; one per match.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"\n]{0,500})['"]/g;
const SCRIPT = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

/** The workspace directory holding `file` (the longest match), or '' for files outside every workspace. */
export function workspaceOf(file: string, workspaces: readonly string[]): string {
  let best = '';
  for (const dir of workspaces) {
    if (file.startsWith(`${dir}/`) && dir.length > best.length) best = dir;
  }
  return best;
}

/**
 * Relative imports whose target lies in another workspace than the importing file (for instance
 * `../../../tests/harness/wait-for` from services/collector/src/): a workspace must reach another
 * through its package name, so each can be built, published and read on its own.
 */
export function findCrossWorkspaceImports(
  file: string,
  text: string,
  workspaces: readonly string[],
): Offence[] {
  if (!SCRIPT.test(file)) return [];
  const home = workspaceOf(file, workspaces);
  const offences: Offence[] = [];
  text.split('\n').forEach((content, index) => {
    for (const match of content.matchAll(SPECIFIER)) {
      const specifier = match[1] as string;
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (workspaceOf(target, workspaces) !== home)
        offences.push({ file, line: index + 1, found: specifier });
    }
  });
  return offences;
}

/** The workspace directories named by package.json's `workspaces` globs (only `dir` and `dir/*` forms). */
export function expandWorkspaces(globs: readonly string[], listDir: (dir: string) => string[]): string[] {
  return globs.flatMap((glob) =>
    glob.endsWith('/*') ? listDir(glob.slice(0, -2)).map((name) => `${glob.slice(0, -2)}/${name}`) : [glob],
  );
}
