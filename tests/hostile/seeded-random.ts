/**
 * A small seeded generator (mulberry32): the same seed gives the same requests and messages, so a
 * failure found by the hostile suite is reproduced by running it again with the printed seed.
 */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A derived, independent generator, so one phase's draws do not shift another's. */
  fork(label: string): Random;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    seed,
    next,
    int: (n) => Math.floor(next() * n),
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
    fork(label) {
      let hash = seed ^ 0x9e3779b9;
      for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
      return seededRandom(hash >>> 0);
    },
  };
  return random;
}

/** HOSTILE_SEED when given (to replay a failure), else a fresh one; always printed by the caller. */
export function suiteSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.HOSTILE_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`HOSTILE_SEED must be an integer, got '${given}'`);
    return seed >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32);
}

/** A positive integer count from the environment (HOSTILE_REQUESTS...), else the default. */
export function countFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const given = env[name];
  if (given === undefined || given === '') return fallback;
  const count = Number(given);
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`${name} must be a non-negative integer`);
  return count;
}
