import { BadRequestError } from '../errors';

/** Bytes of the whole body; express's raw-text parser enforces the same bound before this runs. */
export const MAX_TASK_BODY_BYTES = 1024 * 1024;
/** Bytes of args plus kwargs once serialized: they travel in one broker message to one worker. */
export const MAX_ARGUMENTS_BYTES = 512 * 1024;
/** Nesting of args/kwargs values; deeper JSON overflows the serializer's stack (here and in Python). */
export const MAX_ARGUMENTS_DEPTH = 64;

/** Nesting depth of a parsed JSON value, walked without recursion so no input can exhaust the stack. */
function depthAbove(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Reads the JSON object of an apply/send-task body into serialized args and kwargs plus the remaining
 * top-level fields (the apply_async options, still to be validated by name). JSON.parse keeps a
 * `__proto__` key as an own field, and the rest object is built the same way, so such a key reaches
 * the option lookup as an unknown name.
 */
export function readTaskArguments(raw: string): {
  argsJson: string;
  kwargsJson: string;
  rest: Record<string, unknown>;
} {
  if (Buffer.byteLength(raw) > MAX_TASK_BODY_BYTES) {
    throw new BadRequestError(`Request body is larger than ${MAX_TASK_BODY_BYTES} bytes`);
  }
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
  if (depthAbove(args, MAX_ARGUMENTS_DEPTH) || depthAbove(kwargs, MAX_ARGUMENTS_DEPTH)) {
    throw new BadRequestError(`args and kwargs may nest at most ${MAX_ARGUMENTS_DEPTH} levels deep`);
  }
  const argsJson = JSON.stringify(args);
  const kwargsJson = JSON.stringify(kwargs);
  if (Buffer.byteLength(argsJson) + Buffer.byteLength(kwargsJson) > MAX_ARGUMENTS_BYTES) {
    throw new BadRequestError(`args and kwargs together exceed ${MAX_ARGUMENTS_BYTES} bytes`);
  }
  return { argsJson, kwargsJson, rest };
}
