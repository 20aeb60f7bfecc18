import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc shows it. `state` is T for a process stopped by a signal (SIGTTOU, SIGTTIN...). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
  command: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited between the directory listing and the read
  }
}

/** The process `pid`, or undefined once it is gone (a zombie counts as gone: it runs nothing). */
export function readProcess(pid: number): ProcessInfo | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name sits in parentheses and may itself hold spaces and parentheses.
  const close = stat.lastIndexOf(')');
  const [state = '', ppid = '0', pgid = '0', sid = '0'] = stat.slice(close + 2).split(' ');
  if (state === 'Z' || state === 'X') return undefined;
  const command = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
  return { pid, ppid: Number(ppid), pgid: Number(pgid), sid: Number(sid), state, command };
}

export function listProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

/**
 * Every live process whose environment holds `name=value`. An environment is inherited by every
 * descendant, including those that moved to a session of their own (Celery workers) and their
 * forked children, so a value unique to one run finds everything that run started.
 */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
  const needle = `${name}=${value}`;
  return listProcesses().filter((info) =>
    (readText(`/proc/${info.pid}/environ`) ?? '').split('\0').includes(needle),
  );
}
