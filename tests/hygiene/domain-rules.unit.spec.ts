/**
 * Each Celery rule is written once, in services/celery-domain. This scan keeps the removed copies
 * from coming back: no other source file (tests aside) defines the heartbeat default, the liveness
 * window, the state precedence, an arrival-order state merge or Flower's task key list.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOMAIN = 'services/celery-domain/';
/** Applied migrations are never edited: 0005's copy of the rule is replaced by the view of 0009. */
const SANCTIONED_SQL = new Set([
  'services/schema/migrations/0005_bi_views.sql',
  'services/schema/migrations/0009_worker_status.sql',
]);

/** Each rule with a copy it must catch (as the copies removed from the services were written). */
const RULES: [name: string, pattern: RegExp, removedCopy: string][] = [
  [
    'heartbeat default in SQL',
    /coalesce\(\s*freq\b|ELSE\s+60\s+END/i,
    'last_heartbeat_at + make_interval(secs => 2 * coalesce(freq, 2)) > now()',
  ],
  [
    'heartbeat default constant',
    /DEFAULT_FREQ|DEFAULT_HEARTBEAT_SECONDS\s*=|freq\w*\s*\?\?\s*\d/,
    'const DEFAULT_FREQ_S = 60;',
  ],
  [
    'liveness window',
    /EXPIRE_FACTOR\s*=|function\s+isAlive\(\s*(row|worker)\b/,
    'export function isAlive(row: WorkerRow, nowMs: number): boolean {',
  ],
  [
    'state precedence table',
    /function\s+precedenceIndex\b|'REVOKED',\s*'STARTED',\s*'RECEIVED'/,
    "const PRECEDENCE = ['SUCCESS', 'FAILURE', null, 'REVOKED', 'STARTED', 'RECEIVED', 'REJECTED'];",
  ],
  [
    'arrival-order state merge',
    /function\s+mergeState\b/,
    'export function mergeState(current: string | undefined, incoming: string): string {',
  ],
  [
    'Flower task key list',
    /\[\s*'root',\s*'root_id'\s*\]|'parent',\s*'parent_id',\s*'children'/,
    "const AFTER_WORKER = [['root', 'root_id'], ['parent', 'parent_id']];",
  ],
];

const sources = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.sql'], { cwd: ROOT })
  .toString('utf8')
  .split('\0')
  .filter((file) => file && !file.startsWith(DOMAIN) && !/\.spec\.ts$|\.testkit\.ts$/.test(file))
  .filter((file) => !SANCTIONED_SQL.has(file));

/** `file: rule` for every rule a source file restates. */
function copies(files: string[], read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = read(file);
    } catch {
      continue; // tracked but deleted in the work tree
    }
    for (const [name, pattern] of RULES) if (pattern.test(text)) found.push(`${file}: ${name}`);
  }
  return found;
}

describe('Celery rules live only in services/celery-domain', () => {
  it.each(RULES)('catches a copy of the %s', (_name, pattern, removedCopy) => {
    expect(pattern.test(removedCopy)).toBe(true);
  });

  it('has no copy of a rule anywhere else', () => {
    expect(copies(sources, (file) => readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });
});
