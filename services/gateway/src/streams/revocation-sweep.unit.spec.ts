import { silentLogger } from '@celeriac/service-runtime/logger';
import { describe, expect, it, vi } from 'vitest';
import type { LiveClient } from './live-clients';
import { createRevocationSweep, grantKey, type StreamGrant } from './revocation-sweep';

function client(keyId: string | null, connectionId: string) {
  const state = { revoked: false };
  const live: LiveClient = {
    grant: { keyId, connectionId },
    heartbeat: () => undefined,
    shutdown: async () => undefined,
    terminate: () => undefined,
    revoke: () => {
      state.revoked = true;
    },
  };
  return Object.assign(state, { live });
}

describe('revocation sweep', () => {
  it('asks once per tick about each distinct grant and revokes only the clients of dropped ones', async () => {
    const clients = [client('k1', 'a'), client('k1', 'a'), client('k2', 'a'), client(null, 'b')];
    const asked: StreamGrant[][] = [];
    const sweep = createRevocationSweep({
      clients: () => clients.map((c) => c.live),
      // k2 was revoked; the no-key stream's connection still exists.
      check: async (grants) => {
        asked.push([...grants]);
        return new Set([
          grantKey({ keyId: 'k1', connectionId: 'a' }),
          grantKey({ keyId: null, connectionId: 'b' }),
        ]);
      },
      logger: silentLogger,
      onRevoked: (live) => live.revoke(),
    });
    await sweep();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(3);
    expect(clients.map((c) => c.revoked)).toEqual([false, false, true, false]);
  });

  it('spares a client that opened while the query ran, and streams go on when the database fails', async () => {
    const clients = [client('k1', 'a')];
    let release!: (valid: ReadonlySet<string>) => void;
    const sweep = createRevocationSweep({
      clients: () => clients.map((c) => c.live),
      check: () =>
        new Promise((resolve) => {
          release = resolve;
        }),
      logger: silentLogger,
      onRevoked: (live) => live.revoke(),
    });
    const running = sweep();
    clients.push(client('k9', 'z'));
    release(new Set());
    await running;
    expect(clients.map((c) => c.revoked)).toEqual([true, false]);

    const failing = createRevocationSweep({
      clients: () => clients.map((c) => c.live),
      check: async () => {
        throw new Error('database down');
      },
      logger: silentLogger,
      onRevoked: (live) => live.revoke(),
    });
    await failing();
    expect(clients[1]?.revoked).toBe(false);
  });

  it('a notice that comes while a sweep runs gets a sweep of its own, after it', async () => {
    const clients = [client('k1', 'a')];
    const answers: Array<(valid: ReadonlySet<string>) => void> = [];
    const sweep = createRevocationSweep({
      clients: () => clients.map((c) => c.live),
      check: () => new Promise((resolve) => answers.push(resolve)),
      logger: silentLogger,
      onRevoked: (live) => live.revoke(),
    });
    const tick = sweep();
    // k1 is revoked now, after the running sweep read it as valid; its notice arrives meanwhile.
    const notice = sweep();
    answers[0]?.(new Set([grantKey({ keyId: 'k1', connectionId: 'a' })]));
    await notice;
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answers[1]?.(new Set());
    await tick;
    expect(clients[0]?.revoked).toBe(true);
  });
});
