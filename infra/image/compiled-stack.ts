import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Launch } from '@celeriac/tests/harness/service-process';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';

// What image.int.spec.ts needs to run the image's build steps (build.sh) and then the runtime tree
// they assemble the way the container runs it: `bin/celeriac <command>` with the tree as /app.

const run = promisify(execFile);
const OUTPUT_LIMIT = 16 * 1024 * 1024;

export interface RuntimeTree {
  dir: string;
  compileMs: number;
  assembleMs: number;
  /** node_modules, dist/ and manifests, as `du` counts them. */
  bytes: number;
  remove(): void;
}

/**
 * `build.sh compile`, then `build.sh assemble` into a folder outside the repository: were it
 * inside, Node would find the repository's own node_modules (dev dependencies and all) above it,
 * and a dependency the pruned tree lacks would go unnoticed. The image's /app has none above it.
 */
export async function buildRuntimeTree(): Promise<RuntimeTree> {
  const dir = join(mkdtempSync(join(tmpdir(), 'celeriac-image-')), 'app');
  for (let up = dirname(dir); up !== dirname(up); up = dirname(up)) {
    if (existsSync(join(up, 'node_modules'))) throw new Error(`${up}/node_modules would leak into ${dir}`);
  }
  const build = (...args: string[]) =>
    run('bash', ['infra/image/build.sh', ...args], { cwd: REPO_ROOT, maxBuffer: OUTPUT_LIMIT });
  const started = performance.now();
  await build('compile');
  const compiled = performance.now();
  await build('assemble', dir);
  const assembled = performance.now();
  const { stdout } = await run('du', ['-sb', dir]);
  return {
    dir,
    compileMs: compiled - started,
    assembleMs: assembled - compiled,
    bytes: Number(stdout.split('\t')[0]),
    remove: () => rmSync(dirname(dir), { recursive: true, force: true }),
  };
}

/** The bin/ folder of a Node 24, the image's Node; installed from PyPI on first use. */
export async function node24Bin(): Promise<string> {
  const { stdout } = await run('bash', ['infra/image/node24.sh'], { cwd: REPO_ROOT });
  return stdout.trim();
}

/** The variables that make `node` in bin/celeriac the one in `nodeBin`. */
export function onNode(nodeBin: string): Record<string, string> {
  return { PATH: `${nodeBin}:${process.env.PATH ?? ''}` };
}

/** `celeriac <args>`, a one-shot container command (migrate, topics, admin); resolves to its stdout. */
export async function celeriac(tree: string, args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run(join(tree, 'bin/celeriac'), args, {
    cwd: tree,
    env: { ...process.env, ...env },
    maxBuffer: OUTPUT_LIMIT,
  });
  return stdout;
}

/** The container command of a long-running service, for the harness's startCollector & co. */
export function containerLaunch(tree: string, service: 'collector' | 'projector' | 'gateway'): Launch {
  return { command: join(tree, 'bin/celeriac'), args: [service], cwd: tree };
}

/** What a running process really is: its executable and its command line, from /proc. */
export function processImage(pid: number): { executable: string; argv: string[] } {
  return {
    executable: realpathSync(readlinkSync(`/proc/${pid}/exe`)),
    argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean),
  };
}
