/** PromQL words that look like metric names but are operators or modifiers. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

/** The expression with Grafana's interval variables read as durations and string literals emptied. */
function withoutStrings(expr: string): string {
  if (expr.length > 20_000) throw new Error('PromQL expression longer than 20000 characters');
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/**
 * The metric names a PromQL expression reads (rule or Grafana panel), so a test can hold them
 * against what the services export. Grafana's interval variables are read as durations; label
 * matchers, strings, ranges and grouping label lists are dropped before names are picked out.
 */
export function promqlMetricNames(expr: string): string[] {
  const text = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b(group_left|group_right)\b/g, ' ')
    .replace(/\boffset\s+-?\w+/g, ' ');
  const names = new Set<string>();
  // A name not preceded by a word character, a dot or `$` (numbers, Grafana variables) and not
  // followed by `(` (functions and aggregations).
  for (const match of text.matchAll(/(?<![\w.:$])[a-zA-Z_:][\w:]*(?!\s*\(|[\w:])/g)) {
    if (!KEYWORDS.has(match[0])) names.add(match[0]);
  }
  return [...names].sort();
}

/** Each `metric{label="..."}` selector of an expression with the label names it matches on. */
export function promqlSelectors(expr: string): { metric: string; labels: string[] }[] {
  return [...withoutStrings(expr).matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)].map((m) => ({
    metric: m[1] as string,
    labels: [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] as string),
  }));
}

/** Label names of the `by`, `without`, `on`, `ignoring` and `group_*` lists of an expression. */
export function promqlGroupingLabels(expr: string): string[] {
  const lists = withoutStrings(expr).matchAll(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
  );
  const labels = new Set<string>();
  for (const list of lists)
    for (const label of (list[1] ?? '').split(',')) if (label.trim()) labels.add(label.trim());
  return [...labels].sort();
}
