import { silentLogger } from '@celeriac/service-runtime/logger';
import { describe, expect, it } from 'vitest';
import { createGapRecorder } from './gap-recorder';

function fakeStore(failOpen = false) {
  const writes: string[] = [];
  let next = 0;
  const store = {
    async openGap(gap: { cause: string; instant: boolean }) {
      if (failOpen) throw new Error('database away');
      next += 1;
      writes.push(`open ${next} ${gap.cause}${gap.instant ? ' instant' : ''}`);
      return String(next);
    },
    async closeGap(gapId: string, dropped: { messages: number; bytes: number } | undefined) {
      writes.push(`close ${gapId} ${dropped ? `${dropped.messages}/${dropped.bytes}` : 'uncounted'}`);
    },
  };
  return { store, writes };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const recorder = (store: ReturnType<typeof fakeStore>['store']) =>
  createGapRecorder({
    store,
    connectionId: 'c',
    collectorId: 'x',
    keepPerConnection: 10,
    logger: silentLogger,
  });

describe('gap recorder', () => {
  it('closes a window with what was dropped in it, after it was opened', async () => {
    const { store, writes } = fakeStore();
    const gaps = recorder(store);
    const full = gaps.open('buffer-full', true);
    full.drop(100);
    full.drop(50);
    const away = gaps.open('disconnected', false);
    full.close();
    full.close();
    away.close();
    gaps.instant('subscribed');
    for (let i = 0; i < 10; i++) await settle();
    expect(writes).toEqual([
      'open 1 buffer-full',
      'open 2 disconnected',
      'open 3 subscribed instant',
      'close 1 2/150',
      'close 2 uncounted',
    ]);
  });

  it('survives a database that refuses the write', async () => {
    const { store, writes } = fakeStore(true);
    const gaps = recorder(store);
    gaps.open('buffer-full', true).close();
    gaps.instant('subscribed');
    for (let i = 0; i < 10; i++) await settle();
    expect(writes).toEqual([]);
  });
});
