import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@celeriac/tests/harness/stack-env';
import { describe, expect, it } from 'vitest';

// No container builder runs here, so image.int.spec.ts runs build.sh itself; this pins the
// Dockerfile to those same steps, so the two cannot drift apart unnoticed.

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped, ARG defaults applied. */
function instructions(text: string): Instruction[] {
  const args = new Map<string, string>();
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const value = rest.join(' ').replace(/\$\{(\w+)\}/g, (whole, name: string) => args.get(name) ?? whole);
    const arg = /^(\w+)=(\S+)$/.exec(value);
    if (keyword.toUpperCase() === 'ARG' && arg?.[1] && arg[2]) args.set(arg[1], arg[2]);
    return { keyword: keyword.toUpperCase(), args: value };
  });
}

/** The instructions of each stage, by stage name. */
function stages(all: Instruction[]): Map<string, Instruction[]> {
  const byName = new Map<string, Instruction[]>();
  let current: Instruction[] | undefined;
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      current = [instruction];
      byName.set(/\bAS\s+(\S+)$/i.exec(instruction.args)?.[1] ?? `#${byName.size}`, current);
    } else current?.push(instruction);
  }
  return byName;
}

const dockerfile = stages(instructions(readFileSync(`${REPO_ROOT}Dockerfile`, 'utf8')));
const build = dockerfile.get('build') ?? [];
const runtime = [...dockerfile.values()].at(-1) ?? [];
const lines = (stage: Instruction[], keyword: string) =>
  stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

describe('the Dockerfile', () => {
  it('compiles and assembles with the build.sh steps that image.int.spec.ts runs', () => {
    const runs = lines(build, 'RUN');
    expect(runs.some((run) => run.endsWith('bash infra/image/build.sh compile'))).toBe(true);
    expect(runs.some((run) => run.endsWith('bash infra/image/build.sh assemble /app'))).toBe(true);
  });

  it('runs the assembled tree alone, on Node 24, as a non-root user, through bin/celeriac', () => {
    expect(lines(runtime, 'FROM')[0]).toMatch(/^node:24[-.\w]*\s+AS\s+runtime$/i);
    expect(lines(runtime, 'COPY')).toEqual(['--from=build /app /app']);
    const user = lines(runtime, 'USER').at(-1) ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(lines(runtime, 'ENTRYPOINT')).toEqual(['["/app/bin/celeriac"]']);
  });
});

describe('bin/celeriac', () => {
  it('refuses an unknown command with its usage and exit status 64', async () => {
    const failure = await promisify(execFile)('sh', [`${REPO_ROOT}infra/image/celeriac.sh`, 'worker']).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(64);
    expect(failure?.stderr).toContain(
      'usage: celeriac collector | projector | gateway | migrate | topics | admin',
    );
  });
});
