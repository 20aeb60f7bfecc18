import { describe, expect, it } from 'vitest';
import { connectionOptionsSchema } from './connection-options';
import { decodeEnvelope, encodeEnvelope } from './redis-envelope';
import { priorityStep, redisNames } from './redis-names';

describe('kombu envelopes on Redis', () => {
  it('unwraps a base64 body with its content type, encoding, headers and routing key', () => {
    const body = Buffer.from('[{"type":"task-started"}]');
    const payload = Buffer.from(
      encodeEnvelope({
        body,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        headers: { hostname: 'celery@w1' },
        exchange: 'celeryev',
        routingKey: 'task.multi',
      }),
    );
    expect(decodeEnvelope(payload, '/0.celeryev/task.multi', 1024)).toEqual({
      content: body,
      routingKey: 'task.multi',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers: { hostname: 'celery@w1' },
    });
  });

  it('refuses what is no envelope, keeping the payload for the dead letter', () => {
    for (const text of [
      'garbage',
      '[]',
      '{"body": 1}',
      '{"body":"x","properties":{"body_encoding":"gzip"}}',
    ]) {
      const message = decodeEnvelope(Buffer.from(text), 'chan', 1024);
      expect(message.refused?.[0], text).toBe('bad-envelope');
      expect(message.content.toString()).toBe(text);
    }
    expect(decodeEnvelope(Buffer.alloc(10_000_000, 0x20), 'chan', 1024).refused?.[0]).toBe('oversize');
  });
});

describe('kombu key and channel names', () => {
  const options = (raw: Record<string, unknown>) => connectionOptionsSchema.parse(raw);

  it('follows the database, fanout prefix and pattern settings and global_keyprefix', () => {
    expect(redisNames(3, options({})).events).toEqual({ kind: 'pattern', name: '/3.celeryev/*' });
    expect(redisNames(0, options({ fanoutPatterns: false })).events).toEqual({
      kind: 'channel',
      name: '/0.celeryev',
    });
    const custom = redisNames(
      2,
      options({ fanoutPrefix: 'app{db}:', globalKeyprefix: 'p:', eventExchange: 'ev' }),
    );
    expect(custom.events.name).toBe('p:app2:ev/*');
    expect(custom.pidboxTopic).toBe('p:app2:celery.pidbox');
    expect(custom.bindings('reply.celery.pidbox')).toBe('p:_kombu.binding.reply.celery.pidbox');
    expect(redisNames(0, options({ fanoutPrefix: false })).eventTopic('task.sent')).toBe(
      'celeryev/task.sent',
    );
  });

  it('puts a priority on the list of the step at or below it', () => {
    expect([0, 1, 3, 5, 6, 8, 9].map(priorityStep)).toEqual([0, 0, 3, 3, 6, 6, 9]);
    const names = redisNames(0, options({}));
    expect(names.queueKey('celery', 0)).toBe('celery');
    expect(names.queueKey('celery', 6)).toBe('celery\x06\x166');
  });
});
