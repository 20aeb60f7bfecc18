import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from './rendered';

/** What a container starts: the entry file as it is in the repository, and its V8 heap cap. */
export interface Launch {
  entry: string;
  heapMb: number | undefined;
  /** The command line when the manifest spells it out (no image entrypoint involved). */
  command?: string[];
}

const heapOf = (text: string) => {
  const match = /--max-old-space-size=(\d+)|\(heap (\d+)\)/.exec(text);
  return match ? Number(match[1] ?? match[2]) : undefined;
};

/**
 * Two forms: a full `command` (node ... services/<x>/src/<entry>.ts, run from the source tree), or
 * only `args: [<name>]` for the image's entrypoint, infra/image/celeriac.sh, whose `<name>) exec
 * node ... "$(heap N)" "$APP_DIR/services/<x>/dist/<entry>.js"` line is read back to the source file.
 */
export function launchOf(container: Container, root: string): Launch {
  if (container.command) {
    return {
      entry: container.command.at(-1) ?? '',
      heapMb: heapOf(container.command.join(' ')),
      command: container.command,
    };
  }
  const name = container.args?.[0] ?? '';
  const entrypoint = join(root, 'infra/image/celeriac.sh');
  if (!/^[a-z]+$/.test(name) || !existsSync(entrypoint))
    throw new Error(`${container.name}: neither a command nor an image entrypoint argument`);
  const line = readFileSync(entrypoint, 'utf8')
    .split('\n')
    .find((candidate) => candidate.trim().startsWith(`${name})`));
  const file = line && /\$APP_DIR\/(services\/[^/]+)\/dist\/([^"]+)\.js/.exec(line);
  if (!line || !file) throw new Error(`${container.name}: the image entrypoint has no ${name} command`);
  return { entry: `${file[1]}/src/${file[2]}.ts`, heapMb: heapOf(line) };
}
