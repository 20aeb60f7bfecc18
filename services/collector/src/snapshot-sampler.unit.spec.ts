import { describe, expect, it } from 'vitest';
import { snapshotReplies } from './snapshot-sampler';

describe('snapshotReplies', () => {
  it('scrubs credentials and keeps a "__proto__" node a plain entry', () => {
    const { repliesJson } = snapshotReplies([
      { node: 'celery@a', value: { broker: { password: 'pw', alternates: ['amqp://u:pw@h//'] } } },
      { node: '__proto__', value: { polluted: 1 } },
    ]);
    expect(Object.keys(repliesJson)).toEqual(['celery@a', '__proto__']);
    expect(repliesJson['celery@a']).not.toContain('pw');
    expect(Object.getOwnPropertyDescriptor(repliesJson, '__proto__')?.value).toBe('{"polluted":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps one snapshot under its byte cap whatever the replies', () => {
    const big = 'x'.repeat(100_000);
    const replies = Array.from({ length: 20 }, (_, i) => ({ node: `celery@${i}`, value: big }));
    const { repliesJson, dropped } = snapshotReplies(replies);
    const size = Object.entries(repliesJson).reduce((sum, [k, v]) => sum + k.length + v.length, 0);
    expect(size).toBeLessThanOrEqual(768 * 1024);
    expect(dropped).toBe(20 - Object.keys(repliesJson).length);
    expect(dropped).toBeGreaterThan(0);
  });
});
