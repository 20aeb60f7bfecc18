import { createHash } from 'node:crypto';

/**
 * Which live gateway replica owns which partition of the events topic: rendezvous (highest random
 * weight) hashing with bounded loads. Every replica computes the same answer from the same member
 * list, with no coordination. Each partition goes to the member that weighs most for it among those
 * not yet holding ceil(partitions / members): plain rendezvous would leave a replica with nothing one
 * time in four with 6 partitions over 3 replicas, and another with five. A member that joins takes
 * about 1/N of the partitions, a member that leaves hands on its own; the bound moves a few more.
 * Pure, so it is unit-tested alone.
 */

/** 64 bits of SHA-256 over (member, partition): uniform, stable across Node versions and processes. */
function weight(memberId: string, partition: number): bigint {
  return createHash('sha256').update(`${partition}\u0000${memberId}`).digest().readBigUInt64BE(0);
}

/** Members by descending weight for `partition`; ties go to the smaller id. */
function ranked(members: readonly string[], partition: number): string[] {
  const weights = new Map(members.map((member) => [member, weight(member, partition)]));
  return [...new Set(members)].sort((a, b) => {
    const wa = weights.get(a) as bigint;
    const wb = weights.get(b) as bigint;
    return wa === wb ? (a < b ? -1 : 1) : wa > wb ? -1 : 1;
  });
}

// The assignment is asked for on every relay and every reconcile; the member list changes rarely.
let cached: { key: string; owners: Map<number, string> } | undefined;

/** Every partition of `[0, partitions)` to its owner; empty without members. */
export function assignPartitions(members: readonly string[], partitions: number): Map<number, string> {
  const unique = [...new Set(members)].sort();
  const key = `${partitions}\u0000${unique.join('\u0000')}`;
  if (cached?.key === key) return cached.owners;
  const owners = new Map<number, string>();
  const cap = Math.ceil(partitions / Math.max(1, unique.length));
  const load = new Map<string, number>();
  for (let partition = 0; partition < partitions && unique.length > 0; partition += 1) {
    const owner = ranked(unique, partition).find((member) => (load.get(member) ?? 0) < cap) as string;
    owners.set(partition, owner);
    load.set(owner, (load.get(owner) ?? 0) + 1);
  }
  cached = { key, owners };
  return owners;
}

/** The owner of one partition of a topic of `partitions`, or undefined when there is no member. */
export function ownerOf(
  members: readonly string[],
  partition: number,
  partitions: number,
): string | undefined {
  return assignPartitions(members, partitions).get(partition);
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
