import { hostileValue, PROTOTYPE_KEYS } from './hostile-values';
import type { Random } from './seeded-random';

/**
 * JSON bodies as text, so they can hold what JSON.stringify never writes: number literals of 100,000
 * digits, duplicate and `__proto__` keys, nesting deeper than any recursive walker survives.
 */
export interface HostileJson {
  kind: string;
  text: string;
}

const quote = (value: string) => JSON.stringify(value);

function scalar(random: Random, size: number): string {
  return random.pick([
    () => 'null',
    () => 'true',
    () => '-0',
    () => '1e308',
    () => '-1e-400',
    () => '9'.repeat(Math.min(size, 100_000)),
    () => `0.${'1'.repeat(Math.min(size, 100_000))}`,
    () => quote(hostileValue(random, size).value),
    () => '[]',
    () => '{}',
  ])();
}

/** A random value, objects keyed with prototype names half the time. */
function value(random: Random, depth: number, size: number): string {
  if (depth <= 0 || random.chance(0.4)) return scalar(random, size);
  const count = random.int(4);
  if (random.chance(0.4)) {
    return `[${Array.from({ length: count }, () => value(random, depth - 1, size)).join(',')}]`;
  }
  const members = Array.from({ length: count }, () => {
    const key = random.chance(0.5) ? random.pick(PROTOTYPE_KEYS) : hostileValue(random, 64).value;
    return `${quote(key)}:${value(random, depth - 1, size)}`;
  });
  return `{${members.join(',')}}`;
}

/**
 * A body for a route whose known fields are `fields` (valid examples given): each field gets a hostile
 * value, an array where a scalar belongs, or its valid example; prototype keys and junk are mixed in.
 */
export function hostileJson(random: Random, fields: Record<string, string>, size: number): HostileJson {
  const shape = random.int(10);
  if (shape === 0) return { kind: 'deep-array', text: `${'['.repeat(size)}${']'.repeat(size)}` };
  if (shape === 1) {
    const depth = Math.min(size, 50_000);
    return { kind: 'deep-object', text: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` };
  }
  if (shape === 2) return { kind: 'not-an-object', text: random.pick(['[]', '"x"', '42', 'null', 'true']) };
  if (shape === 3)
    return { kind: 'truncated', text: random.pick(['{', '{"a":', '{"a":1,', '[{"a":1}', '\u0000']) };
  const names = Object.keys(fields);
  const members: string[] = [];
  for (const name of names) {
    const roll = random.int(6);
    if (roll === 0) continue;
    if (roll === 1) members.push(`${quote(name)}:${fields[name]}`);
    else if (roll === 2) members.push(`${quote(name)}:[${fields[name]},${fields[name]}]`);
    else members.push(`${quote(name)}:${value(random, 3, size)}`);
  }
  if (shape >= 7) {
    const key = random.pick(PROTOTYPE_KEYS);
    members.push(
      `${quote(key)}:${random.chance(0.5) ? '{"connectionId":"00000000-0000-4000-a000-000000000000","taskName":"x"}' : value(random, 2, size)}`,
    );
  }
  if (shape === 9) members.push(...members.slice(0, 2));
  return { kind: shape >= 7 ? 'prototype-keys' : 'hostile-fields', text: `{${members.join(',')}}` };
}
