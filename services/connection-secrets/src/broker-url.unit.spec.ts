import { describe, expect, it } from 'vitest';
import { brokerKindOf, brokerUrlProblem, parseRedisUrl } from './broker-url';

describe('broker URLs', () => {
  it('accepts AMQP, Redis, TLS Redis and Sentinel URLs', () => {
    for (const url of [
      'amqp://u:p@rabbit:5672/vhost',
      'amqps://u:p@rabbit/?heartbeat=30',
      'redis://127.0.0.1:6379/0',
      'redis://:secret@redis',
      'rediss://user:pw@redis.example:6380/3',
      'sentinel://s1:26379;sentinel://s2:26379',
    ]) {
      expect(brokerUrlProblem(url), url).toBeUndefined();
    }
    expect(brokerKindOf('AMQP://x')).toBe('amqp');
    expect(brokerKindOf('rediss://x')).toBe('redis');
  });

  it('refuses garbage, other schemes and unusable Redis URLs, saying why', () => {
    expect(brokerUrlProblem('http://example.com')).toMatch(/must be an amqp/);
    expect(brokerUrlProblem('not a url')).toMatch(/must be an amqp/);
    expect(brokerUrlProblem('redis://h/notadb')).toMatch(/database number/);
    expect(brokerUrlProblem('redis://h/0?x=1')).toMatch(/query/);
    expect(brokerUrlProblem('redis://a;redis://b')).toMatch(/only sentinel/);
    expect(brokerUrlProblem('sentinel://a;redis://b')).toMatch(/scheme redis/);
    expect(brokerUrlProblem(`redis://h/${'0'.repeat(3000)}`)).toMatch(/longer than/);
  });

  it('reads host, port, database, credentials and TLS as kombu does', () => {
    expect(parseRedisUrl('rediss://us%40er:p%3Aw@h:6380/5')).toEqual({
      endpoints: [{ host: 'h', port: 6380 }],
      sentinel: false,
      tls: true,
      db: 5,
      username: 'us@er',
      password: 'p:w',
    });
    const sentinel = parseRedisUrl('sentinel://:pw@s1/2; sentinel://s2:26380');
    expect(sentinel.endpoints).toEqual([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
    ]);
    expect(sentinel).toMatchObject({ sentinel: true, db: 2, password: 'pw', tls: false });
  });
});
