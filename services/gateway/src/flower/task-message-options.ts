import type { SendTaskRequest } from '@celeriac/proto/control';
import { BadRequestError } from '../errors';
import { isDecimalNumber } from '../http/numbers';
import { readTaskArguments } from './task-arguments';

/** What a request body may set in a task message: never the connection or the task name. */
export type TaskOptions = Omit<SendTaskRequest, 'connectionId' | 'taskName'>;

const FLOWER_DATETIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{1,6})$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const MAX_DATETIME_LENGTH = 40;
/** Ten years: any countdown, time limit or relative expiry beyond this is a mistake, not a schedule. */
const MAX_SECONDS = 315_360_000;

/**
 * Flower's `%Y-%m-%d %H:%M:%S.%f` (a naive time; read as UTC so replicas agree) or ISO-8601, to the
 * ISO text the collector puts in the task message.
 */
function datetime(name: string, value: unknown): string {
  const input = text(name, value, MAX_DATETIME_LENGTH);
  const flower = FLOWER_DATETIME.exec(input);
  const iso = flower ? `${flower[1]}T${flower[2]}.${(flower[3] ?? '').padEnd(6, '0')}Z` : input;
  if (!flower && !ISO_DATETIME.test(input)) {
    throw new BadRequestError(`Invalid option '${name}': expected 'YYYY-MM-DD HH:MM:SS.ffffff' or ISO-8601`);
  }
  const date = new Date(iso);
  // Date rolls 2026-02-30 over to March; a real date survives the round trip.
  const invalid = Number.isNaN(date.getTime());
  if (invalid || (flower !== null && !date.toISOString().startsWith(flower[1] ?? '')))
    throw new BadRequestError(`Invalid option '${name}': not a real date`);
  return date.toISOString();
}

function isNumeric(value: unknown): value is number | string {
  return typeof value === 'number' || (typeof value === 'string' && isDecimalNumber(value.trim()));
}

function seconds(name: string, value: unknown): number {
  const number = isNumeric(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number < 0 || number > MAX_SECONDS) {
    throw new BadRequestError(
      `Invalid option '${name}': expected a number of seconds from 0 to ${MAX_SECONDS}`,
    );
  }
  return number;
}

function text(name: string, value: unknown, max = 255): string {
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw new BadRequestError(
      `Invalid option '${name}': expected a non-empty string of at most ${max} characters`,
    );
  }
  return value;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError(`Invalid option '${name}': expected an integer from ${min} to ${max}`);
  }
  return value;
}

type OptionParser = (value: unknown, now: number) => Partial<TaskOptions>;
// A Map, not an object literal: a body field named `constructor` or `__proto__` must not find
// Object.prototype's members here (one did, and its result overwrote the target connection).
const OPTIONS = new Map<string, OptionParser>([
  ['task_id', (v) => ({ taskId: text('task_id', v) })],
  ['queue', (v) => ({ queue: text('queue', v) })],
  ['exchange', (v) => ({ exchange: text('exchange', v) })],
  ['routing_key', (v) => ({ routingKey: text('routing_key', v) })],
  ['priority', (v) => ({ priority: integer('priority', v, 0, 255) })],
  ['retries', (v) => ({ retries: integer('retries', v, 0, 1_000_000) })],
  ['countdown', (v) => ({ countdown: seconds('countdown', v) })],
  ['soft_time_limit', (v) => ({ softTimeLimit: seconds('soft_time_limit', v) })],
  ['time_limit', (v) => ({ timeLimit: seconds('time_limit', v) })],
  ['eta', (v) => ({ eta: datetime('eta', v) })],
  [
    'expires',
    (v, now) =>
      isNumeric(v)
        ? { expires: new Date(now + seconds('expires', v) * 1000).toISOString() }
        : { expires: datetime('expires', v) },
  ],
]);

/** An option name echoed in an error is cut short: the body may hold a megabyte-long key. */
function shown(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}...` : name;
}

/**
 * The JSON body of apply/async-apply/send-task: `args`, `kwargs` and apply_async options at the top
 * level. An empty body is `{}`. Options Celeriac cannot put in a task message are refused by name
 * rather than silently dropped.
 */
export function parseTaskBody(raw: string, now: number): TaskOptions {
  const { argsJson, kwargsJson, rest } = readTaskArguments(raw);
  const options: TaskOptions = { argsJson, kwargsJson };
  for (const [name, value] of Object.entries(rest)) {
    const parse = OPTIONS.get(name);
    if (!parse) throw new BadRequestError(`Unsupported option '${shown(name)}'`);
    // The parsers are this module's own and return only TaskOptions fields.
    if (value !== null) Object.assign(options, parse(value, now));
  }
  return options;
}
