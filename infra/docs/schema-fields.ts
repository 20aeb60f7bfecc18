import { booleanFlag, commaList } from '@celeriac/service-runtime/config';
import type { z } from 'zod';

/** One environment variable of a config schema, as the reference and the k8s checks see it. */
export interface SchemaField {
  key: string;
  type: string;
  /** The default as the variable would spell it; undefined when there is none. */
  defaultValue: string | undefined;
  /** Neither a default nor optional: the process refuses to start without it. */
  required: boolean;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  shape?: Record<string, z.ZodType>;
  format?: string;
  checks?: { _zod: { def: { check: string; format?: string; value?: unknown; inclusive?: boolean } } }[];
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schema under transforms and refinements (a pipe's input side). */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) return def.shape;
  if (def.type === 'pipe' && def.in) return objectShape(def.in);
  throw new Error(`not an object schema: ${def.type}`);
}

/** `integer 1..200`, `integer ≥ 0`, `number`: the bounds the schema enforces. */
function numberType(def: Def): string {
  const checks = (def.checks ?? []).map((check) => check._zod.def);
  const integer = checks.some((check) => check.check === 'number_format' && /int/.test(check.format ?? ''));
  // Exclusive bounds of integers read better as inclusive ones (positive() is `≥ 1`).
  const bound = (kind: 'greater_than' | 'less_than'): number | string | undefined => {
    const check = checks.find((candidate) => candidate.check === kind);
    if (!check) return undefined;
    const value = Number(check.value);
    if (check.inclusive) return value;
    if (integer) return kind === 'greater_than' ? value + 1 : value - 1;
    return kind === 'greater_than' ? `> ${value}` : `< ${value}`;
  };
  const [min, max] = [bound('greater_than'), bound('less_than')];
  const base = integer ? 'integer' : 'number';
  if (min !== undefined && max !== undefined) return `${base} ${min}..${max}`;
  if (min !== undefined) return typeof min === 'number' ? `${base} ≥ ${min}` : `${base} ${min}`;
  if (max !== undefined) return typeof max === 'number' ? `${base} ≤ ${max}` : `${base} ${max}`;
  return base;
}

function typeName(schema: z.ZodType): string {
  if (schema === booleanFlag) return 'boolean (true/false/1/0)';
  if (schema === commaList) return 'comma-separated list';
  const def = defOf(schema);
  if (def.type === 'enum') return Object.values(def.entries ?? {}).join(' | ');
  if (def.type === 'number') return numberType(def);
  if (def.type === 'string') return def.format ? `string (${def.format})` : 'string';
  if (def.type === 'pipe' && def.in) return typeName(def.in);
  return def.type;
}

export function schemaFields(schema: z.ZodType): SchemaField[] {
  return Object.entries(objectShape(schema)).map(([key, field]) => {
    let current = field;
    let defaultValue: string | undefined;
    let optional = false;
    for (;;) {
      const def = defOf(current);
      if (def.type === 'default') defaultValue = String(def.defaultValue);
      else if (def.type === 'optional') optional = true;
      else break;
      current = def.innerType as z.ZodType;
    }
    return { key, type: typeName(current), defaultValue, required: !optional && defaultValue === undefined };
  });
}
