import { BadRequestError } from '../errors';
import { isDecimalNumber, isIntegerText } from './numbers';

/**
 * Flower reads every parameter from the query string and the form body alike; a repeated name keeps
 * its last value and values are whitespace-trimmed. `Params` gives that merged view with typed
 * getters that answer a bad value with a 400 naming the parameter (Flower answers some with a 500).
 */
export interface Params {
  string(name: string): string | undefined;
  int(name: string, range?: Range): number | undefined;
  float(name: string, range?: Range): number | undefined;
  bool(name: string): boolean | undefined;
}

/** Inclusive bounds of a numeric parameter. */
export interface Range {
  min: number;
  max: number;
}

/** No parameter means anything longer; checked before any parsing so work stays bounded per value. */
export const MAX_PARAM_LENGTH = 4096;

type Source = Record<string, unknown> | undefined;

function lastString(name: string, value: unknown): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof last !== 'string') return undefined;
  // PostgreSQL text cannot hold NUL; refuse it here rather than fail in a query.
  if (last.includes('\u0000')) throw new BadRequestError(`Parameter '${name}' contains a NUL character`);
  if (last.length > MAX_PARAM_LENGTH)
    throw new BadRequestError(`Parameter '${name}' is longer than ${MAX_PARAM_LENGTH} characters`);
  return last.trim();
}

const TRUE = new Set(['y', 'yes', 't', 'true', 'on', '1']);
const FALSE = new Set(['n', 'no', 'f', 'false', 'off', '0']);

/** A rejected value is echoed in the error, cut short so a 4 KiB value does not come back whole. */
function shown(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}...` : value;
}

export function paramsFrom(query: Source, body: Source): Params {
  // Own fields only: a form body is a plain object, whose inherited members are no parameters.
  const own = (source: Source, name: string) =>
    source && typeof source === 'object' && Object.hasOwn(source, name) ? source[name] : undefined;
  const raw = (name: string): string | undefined =>
    lastString(name, own(body, name)) ?? lastString(name, own(query, name));
  const invalid = (name: string, value: string, type: string) =>
    new BadRequestError(`Invalid argument '${shown(value)}' of type '${type}' for parameter '${name}'`);
  const inRange = (name: string, value: number, range: Range | undefined) => {
    if (range && !(value >= range.min && value <= range.max))
      throw new BadRequestError(`Parameter '${name}' must be between ${range.min} and ${range.max}`);
    return value;
  };
  return {
    string: raw,
    int(name, range) {
      const value = raw(name);
      if (value === undefined || value === '') return undefined;
      if (!isIntegerText(value)) throw invalid(name, value, 'int');
      return inRange(name, Number(value), range);
    },
    float(name, range) {
      const value = raw(name);
      if (value === undefined || value === '') return undefined;
      const number = isDecimalNumber(value) ? Number(value) : Number.NaN;
      if (!Number.isFinite(number)) throw invalid(name, value, 'float');
      return inRange(name, number, range);
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

export function requiredInt(params: Params, name: string, range?: Range): number {
  const value = params.int(name, range);
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
