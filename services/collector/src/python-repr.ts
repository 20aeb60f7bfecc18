/**
 * Approximates Python's repr() of a JSON value, for the argsrepr/kwargsrepr headers that workers copy
 * into task-received events and logs. Display only: workers never evaluate it.
 */
export function pythonRepr(value: unknown, options: { tuple?: boolean } = {}): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'nan';
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) {
    const items = value.map((item) => pythonRepr(item));
    if (!options.tuple) return `[${items.join(', ')}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([key, item]) => `${quote(key)}: ${pythonRepr(item)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  return quote(String(value));
}

function quote(text: string): string {
  const useDouble = text.includes("'") && !text.includes('"');
  const delimiter = useDouble ? '"' : "'";
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(useDouble ? /(?!)/g : /'/g, "\\'");
  return `${delimiter}${escaped}${delimiter}`;
}
