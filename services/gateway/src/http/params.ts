import { BadRequestError } from '../errors';

/**
 * Flower reads every parameter from the query string and the form body alike; a repeated name keeps
 * its last value and values are whitespace-trimmed. `Params` gives that merged view with typed
 * getters that answer a bad value with a 400 naming the parameter (Flower answers some with a 500).
 */
export interface Params {
  string(name: string): string | undefined;
  int(name: string): number | undefined;
  float(name: string): number | undefined;
  bool(name: string): boolean | undefined;
}

type Source = Record<string, unknown> | undefined;

function lastString(name: string, value: unknown): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof last !== 'string') return undefined;
  // PostgreSQL text cannot hold NUL; refuse it here rather than fail in a query.
  if (last.includes('\u0000')) throw new BadRequestError(`Parameter '${name}' contains a NUL character`);
  return last.trim();
}

const TRUE = new Set(['y', 'yes', 't', 'true', 'on', '1']);
const FALSE = new Set(['n', 'no', 'f', 'false', 'off', '0']);
const INT = /^[+-]?\d{1,15}$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function paramsFrom(query: Source, body: Source): Params {
  const raw = (name: string): string | undefined => {
    const fromBody = body && typeof body === 'object' ? lastString(name, body[name]) : undefined;
    return fromBody ?? lastString(name, query?.[name]);
  };
  const invalid = (name: string, value: string, type: string) =>
    new BadRequestError(`Invalid argument '${value}' of type '${type}' for parameter '${name}'`);
  return {
    string: raw,
    int(name) {
      const value = raw(name);
      if (value === undefined || value === '') return undefined;
      if (!INT.test(value)) throw invalid(name, value, 'int');
      return Number(value);
    },
    float(name) {
      const value = raw(name);
      if (value === undefined || value === '') return undefined;
      if (!FLOAT.test(value)) throw invalid(name, value, 'float');
      return Number(value);
    },
    bool(name) {
      const value = raw(name);
      if (value === undefined) return undefined;
      const lower = value.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw invalid(name, value, 'bool');
    },
  };
}

/** Path segments are names chosen by users (worker hostnames, task names): bound their size. */
export function pathParam(value: unknown, what: string, maxLength = 512): string {
  if (typeof value !== 'string' || value.length === 0) throw new BadRequestError(`missing ${what}`);
  if (value.length > maxLength) throw new BadRequestError(`${what} is longer than ${maxLength} characters`);
  if (value.includes('\u0000')) throw new BadRequestError(`${what} contains a NUL character`);
  return value;
}

export function requiredInt(params: Params, name: string): number {
  const value = params.int(name);
  if (value === undefined) throw new BadRequestError(`Missing required parameter '${name}' (int)`);
  return value;
}

export function requiredString(params: Params, name: string, maxLength = 255): string {
  const value = params.string(name);
  if (!value) throw new BadRequestError(`Missing required parameter '${name}'`);
  if (value.length > maxLength)
    throw new BadRequestError(`Parameter '${name}' is longer than ${maxLength} characters`);
  return value;
}
