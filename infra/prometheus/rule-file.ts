export interface RuleEntry {
  kind: 'alert' | 'record';
  name: string;
  expr: string;
  /** Lines [from, to) of the file that hold `expr:` and its block. */
  exprLines: { from: number; to: number };
}

const RULE = /^\s*- (alert|record): (\S+)\s*$/;
const EXPR = /^(\s*)expr: ?(.*)$/;

/**
 * The rules of a rule file in the layout of infra/prometheus/*.yml: `- alert:` or `- record:`,
 * then `expr:` with the expression on the same line or as a `|` block below it. No YAML library
 * is needed for files written this way; the caller compares the count with promtool's.
 */
export function readRuleFile(text: string): RuleEntry[] {
  const lines = text.split('\n');
  const rules: RuleEntry[] = [];
  let current: { kind: 'alert' | 'record'; name: string } | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const rule = RULE.exec(line);
    if (rule) {
      if (current) throw new Error(`rule ${current.name} has no expr before line ${i + 1}`);
      current = { kind: rule[1] as 'alert' | 'record', name: rule[2] as string };
      continue;
    }
    const expr = EXPR.exec(line);
    if (!expr || !current) continue;
    const indent = (expr[1] ?? '').length;
    let to = i + 1;
    let value = expr[2] ?? '';
    if (value.trim() === '|') {
      const block: string[] = [];
      while (to < lines.length) {
        const next = lines[to] ?? '';
        if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
        block.push(next.trim());
        to += 1;
      }
      value = block.join('\n').trim();
    }
    rules.push({ ...current, expr: value, exprLines: { from: i, to } });
    current = undefined;
  }
  if (current) throw new Error(`rule ${current.name} has no expr`);
  return rules;
}

/** The file with the expression of every alert replaced, to prove the unit tests notice. */
export function replaceAlertExprs(text: string, replacement: string): string {
  const lines = text.split('\n');
  const rules = readRuleFile(text).filter((rule) => rule.kind === 'alert');
  for (const rule of [...rules].reverse()) {
    const indent = /^\s*/.exec(lines[rule.exprLines.from] ?? '')?.[0] ?? '';
    lines.splice(
      rule.exprLines.from,
      rule.exprLines.to - rule.exprLines.from,
      `${indent}expr: ${replacement}`,
    );
  }
  return lines.join('\n');
}
