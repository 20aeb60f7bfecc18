/** Longest address kept (an IPv4-mapped IPv6 address is 45 characters); longer ones are cut. */
const MAX_ADDRESS_LENGTH = 64;

export interface SignInLimiterOptions {
  /** Failed sign-ins one address may make per window before it is refused. */
  maxFailures: number;
  windowMs: number;
  /**
   * Addresses remembered at most; each entry holds a string of at most 64 characters and two numbers
   * (~200 bytes), so memory stays under `maxAddresses` x 200 bytes. The oldest record goes first.
   */
  maxAddresses: number;
  now: () => number;
}

interface Failures {
  count: number;
  windowStart: number;
}

/**
 * Counts failed dashboard sign-ins per client address in fixed windows: guessing keys through the
 * sign-in form costs the guesser a wait, while a user who mistyped once is not held up.
 */
export function createSignInLimiter(options: SignInLimiterOptions) {
  const failures = new Map<string, Failures>();
  const current = (address: string): Failures | undefined => {
    const entry = failures.get(address.slice(0, MAX_ADDRESS_LENGTH));
    if (entry && options.now() - entry.windowStart >= options.windowMs) {
      failures.delete(address.slice(0, MAX_ADDRESS_LENGTH));
      return undefined;
    }
    return entry;
  };
  return {
    /** Seconds to wait when this address has used up its failures, else null. */
    retryAfterSeconds(address: string): number | null {
      const entry = current(address);
      if (!entry || entry.count < options.maxFailures) return null;
      return Math.max(1, Math.ceil((entry.windowStart + options.windowMs - options.now()) / 1000));
    },
    failed(address: string): void {
      const key = address.slice(0, MAX_ADDRESS_LENGTH);
      const entry = current(address) ?? { count: 0, windowStart: options.now() };
      failures.delete(key);
      if (failures.size >= options.maxAddresses) failures.delete(failures.keys().next().value as string);
      entry.count += 1;
      failures.set(key, entry);
    },
    succeeded(address: string): void {
      failures.delete(address.slice(0, MAX_ADDRESS_LENGTH));
    },
    get size(): number {
      return failures.size;
    },
  };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
