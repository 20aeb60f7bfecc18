import { describe, expect, it } from 'vitest';
import { scrubCredentials, scrubUrlCredentials } from './scrub-credentials';

describe('scrubUrlCredentials', () => {
  it.each([
    ['amqp://user:pass@rabbit:5672//', 'amqp://user:***@rabbit:5672//'],
    ['redis://:s3cret@redis:6379/0', 'redis://:***@redis:6379/0'],
    ['amqps://tok3n@host/vhost', 'amqps://***@host/vhost'],
    ['sqs://user:pa/ss@queue', 'sqs://user:***@queue'],
    ['amqp://u:p@ss@host', 'amqp://u:***@host'],
    ['broker amqp://a:b@h1;amqp://c:d@h2 down', 'broker amqp://a:***@h2 down'],
    ['see "redis://:x@r" and amqp://g:h@a/', 'see "redis://:***@r" and amqp://g:***@a/'],
    ['http://x/y?next=amqp://u:p@h', 'http://x/y?next=amqp://u:***@h'],
  ])('masks %s', (input, expected) => {
    expect(scrubUrlCredentials(input)).toBe(expected);
    expect(scrubUrlCredentials(input)).not.toMatch(/pass|s3cret|tok3n|pa\/ss|:p@|:b@|:d@|:x@|:h@/);
  });

  it.each([
    'amqp://rabbit:5672//',
    'http://host/path/user@example.com',
    'mailto:someone@example.com',
    'plain text',
  ])('leaves %s alone', (input) => {
    expect(scrubUrlCredentials(input)).toBe(input);
  });

  it('stays linear on hostile text', () => {
    const hostile = [
      `${'a://'.repeat(100_000)}@`,
      `${'://:'.repeat(100_000)}@`,
      `x${'/'.repeat(300_000)}://@`,
    ];
    for (const text of hostile) expect(scrubUrlCredentials(text)).not.toBe(undefined);
  });
});

describe('scrubCredentials', () => {
  it("masks a stats reply's broker URLs and secret-named fields, keeping the rest", () => {
    const stats = {
      pid: 7,
      broker: {
        hostname: 'rabbit',
        userid: 'celery',
        alternates: ['amqp://celery:hunter2@rabbit2:5672//', 'redis://:hunter3@cache:6379/0'],
        transport_options: { password: 'hunter4', visibility_timeout: 3600 },
      },
      conf: { broker_url: 'amqp://celery:hunter5@rabbit//', result_backend_token: 'abc' },
    };
    const scrubbed = scrubCredentials(stats);
    expect(JSON.stringify(scrubbed)).not.toMatch(/hunter|abc/);
    expect(scrubbed).toEqual({
      pid: 7,
      broker: {
        hostname: 'rabbit',
        userid: 'celery',
        alternates: ['amqp://celery:***@rabbit2:5672//', 'redis://:***@cache:6379/0'],
        transport_options: { password: '***', visibility_timeout: 3600 },
      },
      conf: { broker_url: 'amqp://celery:***@rabbit//', result_backend_token: '***' },
    });
  });

  it('keeps a field named __proto__ as an ordinary field and leaves Object.prototype alone', () => {
    const reply = JSON.parse('{"__proto__": {"polluted": "amqp://u:p@h"}, "constructor": 1}');
    const scrubbed = scrubCredentials(reply) as Record<string, unknown>;
    expect(Object.hasOwn(scrubbed, '__proto__')).toBe(true);
    expect(JSON.stringify(scrubbed)).toBe('{"__proto__":{"polluted":"amqp://u:***@h"},"constructor":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('cuts nesting deeper than a reply can mean instead of overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(JSON.stringify(scrubCredentials(deep))).toContain('[nested too deep]');
  });
});
