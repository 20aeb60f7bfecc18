import { silentLogger } from '@celeriac/service-runtime/logger';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors';
import type { ControlGateway, NodeReplyValue } from './control-gateway';
import { createInspector, type InspectInfo } from './inspector';

/** A stand-in for the gRPC side that counts inspect calls and answers when told to. */
function fakeControl() {
  const calls: Array<{ method: string; destination: string[] }> = [];
  const pending: Array<() => void> = [];
  let failWith: Error | undefined;
  const control: ControlGateway = {
    async inspect(_connectionId, method, _args, { destination = [] }) {
      calls.push({ method, destination });
      await new Promise<void>((resolve) => pending.push(resolve));
      if (failWith) throw failWith;
      const replies: NodeReplyValue[] = [
        {
          node: 'w1@h',
          reply:
            method === 'stats' ? { pid: 1, broker: { hostname: 'h', alternates: ['amqp://secret'] } } : [],
        },
        { node: 'w2@h', reply: { error: "KeyError('x')" } },
      ];
      return replies;
    },
    broadcast: async () => [],
    sendTask: async () => 'id',
    close() {},
  };
  return {
    control,
    calls,
    release: () => {
      for (const resolve of pending.splice(0)) resolve();
    },
    fail: (error: Error) => {
      failWith = error;
    },
  };
}

describe('coalesced worker refresh', () => {
  it('runs one inspect round for a burst of refreshes of one connection', async () => {
    const fake = fakeControl();
    const inspector = createInspector({ control: fake.control, logger: silentLogger, now: () => 5_000 });
    const burst = [inspector.refresh('c1'), inspector.refresh('c1'), inspector.refresh('c1', 'w1@h')];
    await Promise.resolve();
    expect(fake.calls).toHaveLength(8);
    fake.release();
    const [all, again, one] = (await Promise.all(burst)) as [InspectInfo, InspectInfo, InspectInfo];
    expect(all).toBe(again);
    expect([...all.keys()]).toEqual(['w1@h']);
    expect(one).toEqual(new Map([['w1@h', all.get('w1@h')]]));
    expect(all.get('w1@h')?.timestamp).toBe(5);
    expect(all.get('w1@h')?.stats).toEqual({ pid: 1, broker: { hostname: 'h' } });
  });

  it('starts a new round once the previous one settled', async () => {
    const fake = fakeControl();
    const inspector = createInspector({ control: fake.control, logger: silentLogger, now: () => 0 });
    const first = inspector.refresh('c1', 'w1@h');
    await Promise.resolve();
    fake.release();
    await first;
    const second = inspector.refresh('c1', 'w1@h');
    await Promise.resolve();
    expect(fake.calls).toHaveLength(16);
    expect(fake.calls[8]?.destination).toEqual(['w1@h']);
    fake.release();
    await second;
  });

  it('raises when every method failed (no collector), instead of answering stale data silently', async () => {
    const fake = fakeControl();
    fake.fail(new UnavailableError('no collector'));
    const inspector = createInspector({ control: fake.control, logger: silentLogger, now: () => 0 });
    const refresh = inspector.refresh('c1');
    await Promise.resolve();
    fake.release();
    await expect(refresh).rejects.toBeInstanceOf(UnavailableError);
  });

  it('with peers, forwards a burst once, and a peer asking joins the round running here', async () => {
    const fake = fakeControl();
    const forwarded: Array<string | undefined> = [];
    const inspector = createInspector({
      control: fake.control,
      logger: silentLogger,
      now: () => 0,
      // The designated replica for c1 is elsewhere; c2's is this one.
      forward: (connectionId, workername, local) => {
        if (connectionId === 'c2') return local();
        forwarded.push(workername);
        return Promise.resolve(new Map([['remote@h', { timestamp: 1 }]]));
      },
    });
    const remote = await Promise.all([inspector.refresh('c1'), inspector.refresh('c1', 'remote@h')]);
    expect(forwarded).toEqual([undefined]);
    expect(remote[1]).toEqual(new Map([['remote@h', { timestamp: 1 }]]));
    expect(fake.calls).toHaveLength(0);

    const here = inspector.refresh('c2');
    const forPeer = inspector.refreshLocal('c2');
    await Promise.resolve();
    expect(fake.calls).toHaveLength(8);
    fake.release();
    expect(await forPeer).toBe(await here);
    expect(forwarded).toHaveLength(1);
  });
});
