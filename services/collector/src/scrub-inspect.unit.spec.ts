import { describe, expect, it } from 'vitest';
import { REDACTED, scrubCredentials, scrubUrlCredentials } from './scrub-inspect';

describe('scrubUrlCredentials', () => {
  it.each([
    ['amqp://celeriac:celeriac@127.0.0.1:5672//', `amqp://${REDACTED}@127.0.0.1:5672//`],
    ['redis://:s3cret@redis:6379/0', `redis://${REDACTED}@redis:6379/0`],
    ['amqp://u:pa/ss#1@h/v', `amqp://${REDACTED}@h/v`],
    [
      'amqp://a:1@h1;amqp://b:2@h2, sqs://k:s@',
      `amqp://${REDACTED}@h1;amqp://${REDACTED}@h2, sqs://${REDACTED}@`,
    ],
    ['broker at amqp://guest@rabbit ok', `broker at amqp://${REDACTED}@rabbit ok`],
    ['amqp://rabbit:5672//', 'amqp://rabbit:5672//'],
    ['no url here', 'no url here'],
  ])('scrubs %s', (input, expected) => {
    expect(scrubUrlCredentials(input)).toBe(expected);
  });

  it('stays linear on hostile text', () => {
    const hostile = `${'a://'.repeat(200_000)}${'@'.repeat(10)}`;
    const started = performance.now();
    scrubUrlCredentials(hostile);
    scrubUrlCredentials('x'.repeat(2_000_000));
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('scrubCredentials', () => {
  it('scrubs a worker stats reply: broker fields, alternates and nested URLs', () => {
    const stats = {
      broker: {
        hostname: '127.0.0.1',
        userid: 'celeriac',
        password: 'celeriac',
        virtual_host: '/',
        port: 5672,
        transport: 'amqp',
        alternates: ['amqp://celeriac:celeriac@10.0.0.2:5672//'],
        login_method: null,
      },
      pool: { 'max-concurrency': 2 },
      conf: { result_backend: 'redis://:hunter2@cache/1', broker_password: 12 },
    };
    const scrubbed = JSON.stringify(scrubCredentials(stats));
    expect(scrubbed).not.toContain('celeriac:celeriac');
    expect(scrubbed).not.toContain('"celeriac"');
    expect(scrubbed).not.toContain('hunter2');
    expect(JSON.parse(scrubbed)).toEqual({
      broker: {
        hostname: '127.0.0.1',
        userid: REDACTED,
        password: REDACTED,
        virtual_host: '/',
        port: 5672,
        transport: 'amqp',
        alternates: [`amqp://${REDACTED}@10.0.0.2:5672//`],
        login_method: null,
      },
      pool: { 'max-concurrency': 2 },
      conf: { result_backend: `redis://${REDACTED}@cache/1`, broker_password: REDACTED },
    });
  });

  it('keeps a "__proto__" key a plain field', () => {
    const scrubbed = scrubCredentials(JSON.parse('{"__proto__":{"password":"p","polluted":1}}')) as object;
    expect(Object.hasOwn(scrubbed, '__proto__')).toBe(true);
    expect(JSON.stringify(scrubbed)).toBe(`{"__proto__":{"password":"${REDACTED}","polluted":1}}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
