import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { kafkaSecurityFields, kafkaSecurityOf } from './kafka-config';

const parse = (env: Record<string, string>) => kafkaSecurityOf(z.object(kafkaSecurityFields).parse(env));

describe('kafkaSecurityOf', () => {
  it('is plaintext without settings', () => {
    expect(parse({})).toEqual({ ssl: undefined });
  });

  it('reads TLS files and SASL credentials', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    expect(
      parse({
        CELERIAC_KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
        CELERIAC_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        CELERIAC_KAFKA_SASL_USERNAME: 'u',
        CELERIAC_KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toEqual({
      ssl: { ca: 'CA', cert: undefined, key: undefined },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    expect(parse({ CELERIAC_KAFKA_SSL: 'true' }).ssl).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
    });
  });

  it('refuses a SASL mechanism without credentials and unknown mechanisms', () => {
    expect(() => parse({ CELERIAC_KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/USERNAME/);
    expect(() => parse({ CELERIAC_KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow();
  });
});
