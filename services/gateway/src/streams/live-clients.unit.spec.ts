import { describe, expect, it } from 'vitest';
import { HEARTBEAT_SLOTS, type LiveClient, LiveClientSet } from './live-clients';

function client(beats: string[], name: string): LiveClient {
  return {
    heartbeat: () => void beats.push(name),
    shutdown: async () => undefined,
    terminate: () => undefined,
    grant: { keyId: null, connectionId: 'c' },
    revoke: () => undefined,
  };
}

describe('LiveClientSet', () => {
  it('gives every client exactly one keep-alive per interval, spread over the slots', () => {
    const set = new LiveClientSet(100);
    const beats: string[] = [];
    const names = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const clients = names.map((name) => client(beats, name));
    for (const each of clients) set.add(each);
    set.delete(clients[0] as LiveClient);
    let busiest = 0;
    for (let tick = 0; tick < HEARTBEAT_SLOTS; tick += 1) {
      const before = beats.length;
      set.heartbeatSlot(new Date());
      busiest = Math.max(busiest, beats.length - before);
    }
    expect(beats.sort()).toEqual(names.slice(1).sort());
    expect(busiest).toBeLessThanOrEqual(Math.ceil(40 / HEARTBEAT_SLOTS));
    expect(set.size).toBe(39);
    expect(new LiveClientSet(1).full).toBe(false);
  });
});
