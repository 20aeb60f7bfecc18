import { describe, expect, it } from 'vitest';
import { safeInspectReply, safeInspectSnapshot } from './worker-inspect';

// A stats reply as Celery 5.5 sends it for a failover broker URL (passwords are the worker's own).
const STATS = {
  pid: 42,
  broker: {
    hostname: 'rabbit',
    userid: 'celery',
    virtual_host: 'prod',
    transport: 'amqp',
    failover_strategy: 'round-robin',
    alternates: ['amqp://celery:s3cret@rabbit:5672/prod', 'amqp://celery:s3cret@rabbit2:5672/prod'],
  },
};

describe('worker-reported data made safe to read', () => {
  it('drops broker.alternates from stats as Flower does', () => {
    expect(safeInspectReply('stats', STATS)).toEqual({
      pid: 42,
      broker: {
        hostname: 'rabbit',
        userid: 'celery',
        virtual_host: 'prod',
        transport: 'amqp',
        failover_strategy: 'round-robin',
      },
    });
  });

  it('masks URL passwords in any other reply and in stored snapshots', () => {
    const conf = { broker_url: 'redis://:s3cret@cache:6379/0', result_backend: 'rpc://' };
    expect(safeInspectReply('conf', conf)).toEqual({
      broker_url: 'redis://:***@cache:6379/0',
      result_backend: 'rpc://',
    });
    const snapshot = safeInspectSnapshot({ stats: STATS, conf, registered: ['tasks.add'] });
    expect(JSON.stringify(snapshot)).not.toContain('s3cret');
    expect(snapshot.registered).toEqual(['tasks.add']);
  });

  it('reads a snapshot that is not an object as empty', () => {
    expect(safeInspectSnapshot(null)).toEqual({});
    expect(safeInspectSnapshot(['x'])).toEqual({});
  });
});
