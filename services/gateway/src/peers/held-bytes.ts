/**
 * The bytes every relay this replica serves holds for its peer, together (records waiting while the
 * peer is slow or while older records are sent). Each relay also has its own limit; this one keeps
 * many relays at once within the heap: past it, the relay asking for more is cut off and its peer
 * reopens from its position, as with its own limit.
 */
export function createHeldBytes(limit: number) {
  let held = 0;
  return {
    take(bytes: number): boolean {
      if (held + bytes > limit) return false;
      held += bytes;
      return true;
    },
    give(bytes: number): void {
      held = Math.max(0, held - bytes);
    },
    get held(): number {
      return held;
    },
  };
}

export type HeldBytes = ReturnType<typeof createHeldBytes>;
