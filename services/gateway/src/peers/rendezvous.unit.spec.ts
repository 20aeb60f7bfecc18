import { describe, expect, it } from 'vitest';
import { assignPartitions, ownerOf, partitionsOwnedBy } from './rendezvous';

const members = (n: number) => Array.from({ length: n }, (_, i) => `gateway-${i}`);
const moved = (a: Map<number, string>, b: Map<number, string>) =>
  [...a].filter(([partition, owner]) => b.get(partition) !== owner).length;

describe('rendezvous ownership of partitions', () => {
  it('gives every partition exactly one owner, the same whatever the order of the member list', () => {
    const list = members(5);
    const owners = assignPartitions(list, 64);
    expect(owners.size).toBe(64);
    expect(assignPartitions([...list].reverse(), 64)).toEqual(owners);
    for (const owner of owners.values()) expect(list).toContain(owner);
  });

  it('has no owner without members, and one member owns everything', () => {
    expect(ownerOf([], 3)).toBeUndefined();
    expect(partitionsOwnedBy(['only'], 12, 'only')).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('spreads partitions roughly evenly', () => {
    const counts = new Map<string, number>();
    for (const owner of assignPartitions(members(4), 4_000).values())
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
    expect(counts.size).toBe(4);
  });

  it('moves about 1/N of the partitions to a member that joins, and only to it', () => {
    const before = assignPartitions(members(3), 3_000);
    const after = assignPartitions(members(4), 3_000);
    const changed = [...before].filter(([partition, owner]) => after.get(partition) !== owner);
    expect(changed.length).toBeGreaterThan(3_000 / 4 - 150);
    expect(changed.length).toBeLessThan(3_000 / 4 + 150);
    for (const [partition] of changed) expect(after.get(partition)).toBe('gateway-3');
  });

  it('hands on only the partitions of a member that leaves', () => {
    const before = assignPartitions(members(4), 1_000);
    const after = assignPartitions(
      members(4).filter((m) => m !== 'gateway-1'),
      1_000,
    );
    const lost = [...before].filter(([, owner]) => owner === 'gateway-1').length;
    expect(moved(before, after)).toBe(lost);
  });
});
