import { describe, expect, it } from 'vitest';
import { createApiKeyAuthenticator, generateApiKey } from './api-keys';

describe('API key cache', () => {
  it('keeps real keys cached while a flood of made-up keys comes in', async () => {
    const real = generateApiKey();
    let lookups = 0;
    // An in-memory stand-in for the api_keys table (unit tier).
    const store = {
      async findLiveKeyByHash(hash: Buffer) {
        lookups += 1;
        if (!hash.equals(real.hash)) return undefined;
        return {
          key_id: 'k1',
          name: 'real',
          key_prefix: real.prefix,
          role: 'viewer' as const,
          all_connections: false,
          connection_ids: ['c1'],
          created_at: new Date(0),
          revoked_at: null,
        };
      },
    };
    const authenticator = createApiKeyAuthenticator({ store, now: () => 0, cacheSize: 100 });
    expect((await authenticator.authenticate({ token: real.key }))?.keyId).toBe('k1');
    for (let i = 0; i < 1_000; i += 1) await authenticator.authenticate({ token: `clk_made_up_${i}` });
    const before = lookups;
    expect((await authenticator.authenticate({ token: real.key }))?.keyId).toBe('k1');
    expect(lookups).toBe(before);
  });
});
