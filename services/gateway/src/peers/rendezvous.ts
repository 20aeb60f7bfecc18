import { createHash } from 'node:crypto';

/**
 * Which live gateway replica owns which partition of the events topic: rendezvous (highest random
 * weight) hashing. Every replica computes the same answer from the same member list, with no
 * coordination; a member joining takes about 1/N of the partitions and moves nothing between the
 * others, a member leaving hands only its own partitions on. Pure, so it is unit-tested alone.
 */

/** 64 bits of SHA-256 over (member, partition): uniform, stable across Node versions and processes. */
function weight(memberId: string, partition: number): bigint {
  return createHash('sha256').update(`${partition}\u0000${memberId}`).digest().readBigUInt64BE(0);
}

/** The owner of one partition, or undefined when there is no member. Ties go to the smaller id. */
export function ownerOf(members: readonly string[], partition: number): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const member of members) {
    const w = weight(member, partition);
    if (w > bestWeight || (w === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = w;
    }
  }
  return best;
}

/** Every partition of `[0, partitions)` to its owner. */
export function assignPartitions(members: readonly string[], partitions: number): Map<number, string> {
  const owners = new Map<number, string>();
  for (let partition = 0; partition < partitions; partition += 1) {
    const owner = ownerOf(members, partition);
    if (owner !== undefined) owners.set(partition, owner);
  }
  return owners;
}

/** The partitions `memberId` owns, ascending. */
export function partitionsOwnedBy(
  members: readonly string[],
  partitions: number,
  memberId: string,
): number[] {
  const owned: number[] = [];
  for (const [partition, owner] of assignPartitions(members, partitions))
    if (owner === memberId) owned.push(partition);
  return owned;
}
