import type { SearchNode } from './search-parser';

/** Escapes LIKE wildcards so user text matches literally (ESCAPE '\'). */
export function likeLiteral(value: string): string {
  return `%${value.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, (char) => `\\${char}`);
}

const ANY_FIELD = ['uuid', 'name', 'state', 'worker', 'args', 'kwargs', 'result'];

/**
 * Compiles a parsed search into a SQL boolean expression over celeriac.tasks, pushing values onto
 * `values` as bind parameters (never interpolated). Matching is case-insensitive substring, except
 * `state:` (exact) and `kwargs:key=value`, which matches that pair in the worker's repr of the kwargs.
 */
export function searchToSql(node: SearchNode, values: unknown[]): string {
  const bind = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (node.kind !== 'term') {
    const joiner = node.kind === 'and' ? ' AND ' : ' OR ';
    return `(${node.children.map((child) => searchToSql(child, values)).join(joiner)})`;
  }
  if (node.field === 'state') return `state = ${bind(node.value.toUpperCase())}`;
  if (node.field === 'kwargs' && node.value.includes('=')) {
    const separator = node.value.indexOf('=');
    const key = regexLiteral(node.value.slice(0, separator));
    const value = regexLiteral(node.value.slice(separator + 1));
    return `kwargs ~* ${bind(`['"]${key}['"]: ['"]?${value}['"]?[,}]`)}`;
  }
  const pattern = bind(likeLiteral(node.value));
  const columns = node.field === null ? ANY_FIELD : [node.field];
  const tests = columns.map((column) => `${column} ILIKE ${pattern}`);
  return tests.length === 1 ? (tests[0] as string) : `(${tests.join(' OR ')})`;
}
