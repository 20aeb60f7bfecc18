import type { SendTaskRequest } from '@celeriac/proto/control';
import { BadRequestError } from '../errors';

export type TaskOptions = Omit<SendTaskRequest, 'connectionId' | 'taskName'>;

const FLOWER_DATETIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{1,6})$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const MAX_BODY_JSON = 1_000_000;

/**
 * Flower's `%Y-%m-%d %H:%M:%S.%f` (a naive time; read as UTC so replicas agree) or ISO-8601, to the
 * ISO text the collector puts in the task message.
 */
function datetime(name: string, value: string): string {
  const flower = FLOWER_DATETIME.exec(value);
  const text = flower ? `${flower[1]}T${flower[2]}.${(flower[3] ?? '').padEnd(6, '0')}Z` : value;
  if (!flower && !ISO_DATETIME.test(value)) {
    throw new BadRequestError(`Invalid option '${name}': expected 'YYYY-MM-DD HH:MM:SS.ffffff' or ISO-8601`);
  }
  const date = new Date(text);
  // Date rolls 2026-02-30 over to March; a real date survives the round trip.
  const invalid = Number.isNaN(date.getTime());
  if (invalid || (flower !== null && !date.toISOString().startsWith(flower[1] ?? '')))
    throw new BadRequestError(`Invalid option '${name}': not a real date`);
  return date.toISOString();
}

function seconds(name: string, value: unknown): number {
  const number = typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new BadRequestError(`Invalid option '${name}': expected a number of seconds`);
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
const OPTIONS: Record<string, OptionParser> = {
  task_id: (v) => ({ taskId: text('task_id', v) }),
  queue: (v) => ({ queue: text('queue', v) }),
  exchange: (v) => ({ exchange: text('exchange', v) }),
  routing_key: (v) => ({ routingKey: text('routing_key', v) }),
  priority: (v) => ({ priority: integer('priority', v, 0, 255) }),
  retries: (v) => ({ retries: integer('retries', v, 0, 1_000_000) }),
  countdown: (v) => ({ countdown: seconds('countdown', v) }),
  soft_time_limit: (v) => ({ softTimeLimit: seconds('soft_time_limit', v) }),
  time_limit: (v) => ({ timeLimit: seconds('time_limit', v) }),
  eta: (v) => ({ eta: datetime('eta', text('eta', v, 64)) }),
  expires: (v, now) =>
    typeof v === 'number' || (typeof v === 'string' && NUMERIC.test(v.trim()))
      ? { expires: new Date(now + seconds('expires', v) * 1000).toISOString() }
      : { expires: datetime('expires', text('expires', v, 64)) },
};

/**
 * The JSON body of apply/async-apply/send-task: `args`, `kwargs` and apply_async options at the top
 * level. An empty body is `{}`. Options Celeriac cannot put in a task message are refused by name
 * rather than silently dropped.
 */
export function parseTaskBody(raw: string, now: number): TaskOptions {
  if (raw.length > MAX_BODY_JSON) throw new BadRequestError('Request body is too large');
  let body: unknown = {};
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      throw new BadRequestError('Request body is not valid JSON');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('Request body must be a JSON object of options');
  }
  const { args = [], kwargs = {}, ...rest } = body as Record<string, unknown>;
  if (!Array.isArray(args)) throw new BadRequestError('args must be an array');
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new BadRequestError('kwargs must be an object');
  }
  const options: TaskOptions = { argsJson: JSON.stringify(args), kwargsJson: JSON.stringify(kwargs) };
  for (const [name, value] of Object.entries(rest)) {
    const parse = OPTIONS[name];
    if (!parse) throw new BadRequestError(`Unsupported option '${name}'`);
    if (value !== null) Object.assign(options, parse(value, now));
  }
  return options;
}
