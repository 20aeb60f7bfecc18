import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/stack-env';

// Every time limit in the scripts goes through lib.sh's `bounded` / `bounded_detached`: a bare
// `timeout` puts its child in a background process group, and from an interactive terminal the
// child is stopped (SIGTTOU/SIGTTIN) the moment it touches the terminal. Two wrappers reviewed once
// beat every future call site remembering --foreground.
const DIRS = ['infra', 'tests/celery-app', '.ci'];
const SKIP = new Set(['.work', 'node_modules']);
const WRAPPERS =
  /^\s*(timeout --foreground --kill-after=10 "\$seconds"|\(exec_without_inherited_fds setsid --wait timeout )/;

/** Shell scripts under `dir`, at any depth: *.sh, and .ci's extension-less `run`. */
function scriptsUnder(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP.has(entry.name) ? [] : scriptsUnder(path);
    return entry.isFile() && (entry.name.endsWith('.sh') || entry.name === 'run') ? [path] : [];
  });
}

const scripts = (): string[] => DIRS.flatMap(scriptsUnder);

describe('time limits in the shell scripts', () => {
  it('finds the scripts it checks', () => {
    expect(scripts()).toEqual(
      expect.arrayContaining(['infra/local/lib.sh', 'infra/local/run.sh', '.ci/run']),
    );
  });

  it('runs no command under a bare `timeout`', () => {
    const offenders: string[] = [];
    for (const file of scripts()) {
      readFileSync(join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const code = line.replace(/#.*$/, '');
          if (/(^|[\s;&|(!])timeout\s/.test(code) && !WRAPPERS.test(code))
            offenders.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
