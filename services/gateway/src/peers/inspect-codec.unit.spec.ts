import { PeerInspectReply } from '@celeriac/proto/peers';
import { describe, expect, it } from 'vitest';
import type { InspectInfo } from '../control/inspector';
import {
  decodeInspectReply,
  encodeInspectInfo,
  InspectReplyTooLargeError,
  InvalidInspectReplyError,
} from './inspect-codec';

const info = (): InspectInfo =>
  new Map([
    ['celery@a', { stats: { pid: 1 }, registered: ['tasks.add'], active: [], timestamp: 1_700_000_000.5 }],
    // Worker names are whatever a worker calls itself.
    ['__proto__', { conf: { task_acks_late: true }, timestamp: 1_700_000_000.5 }],
    ['constructor', { reserved: [{ id: 'x' }], timestamp: 1_700_000_000.5 }],
  ]);
/** Through the wire format, as a peer receives it. */
const overTheWire = (reply: PeerInspectReply) =>
  PeerInspectReply.decode(PeerInspectReply.encode(reply).finish());

describe('an inspect refresh sent between replicas', () => {
  it('arrives whole, worker names that look like object keys included', () => {
    const decoded = decodeInspectReply(overTheWire(encodeInspectInfo(info(), 1 << 20)));
    expect(decoded).toEqual(info());
    expect([...decoded.keys()]).toEqual(['celery@a', '__proto__', 'constructor']);
  });

  it('is refused past its byte budget, and the budget bounds the encoded message', () => {
    const big: InspectInfo = new Map([['celery@big', { conf: { blob: 'x'.repeat(10_000) }, timestamp: 1 }]]);
    expect(() => encodeInspectInfo(big, 9_000)).toThrow(InspectReplyTooLargeError);
    // The smallest budget that passes still holds the encoded message: the receiver's limit can be the budget.
    let budget = 10_000;
    while (budget < 11_000) {
      try {
        const encoded = PeerInspectReply.encode(encodeInspectInfo(big, budget)).finish();
        expect(encoded.length).toBeLessThanOrEqual(budget);
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(InspectReplyTooLargeError);
        budget += 1;
      }
    }
    expect(budget).toBeLessThan(11_000);
  });

  it("masks credentials again on arrival, as if the worker's reply came directly", () => {
    const reply: PeerInspectReply = {
      workers: [
        {
          node: 'celery@a',
          methods: [{ method: 'conf', replyJson: '{"broker_url":"redis://:s3cret@cache:6379/0"}' }],
          timestamp: 1,
        },
      ],
    };
    expect(JSON.stringify([...decodeInspectReply(reply)])).not.toContain('s3cret');
  });

  it('rejects what no inspect round produces', () => {
    const worker = { node: 'celery@a', methods: [{ method: 'stats', replyJson: '{}' }], timestamp: 1 };
    const bad: PeerInspectReply[] = [
      { workers: [{ ...worker, methods: [{ method: 'shutdown', replyJson: '{}' }] }] },
      { workers: [{ ...worker, methods: [{ method: '__proto__', replyJson: '{}' }] }] },
      { workers: [{ ...worker, methods: [...worker.methods, ...worker.methods] }] },
      { workers: [{ ...worker, methods: [{ method: 'stats', replyJson: '{"pid":' }] }] },
      { workers: [worker, worker] },
      { workers: [{ ...worker, node: '' }] },
      { workers: [{ ...worker, timestamp: Number.NaN }] },
    ];
    for (const reply of bad) expect(() => decodeInspectReply(reply)).toThrow(InvalidInspectReplyError);
  });
});
