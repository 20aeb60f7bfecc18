import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertKey, startTestGateway, TEST_SECRET_KEY, type TestGateway } from '../testing/gateway-fixture';
import { runAdmin } from './admin';

// The admin CLI and the admin API against a real database: connections with sealed broker URLs,
// keys shown once and stored hashed, revocation.
let gw: TestGateway;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  gw = await startTestGateway();
  const { rows } = await gw.pool.query<{ db: string }>('SELECT current_database() AS db');
  const url = new URL(process.env.CELERIAC_DATABASE_URL as string);
  url.pathname = `/${rows[0]?.db}`;
  env = { CELERIAC_DATABASE_URL: url.toString(), CELERIAC_SECRET_KEY: TEST_SECRET_KEY };
});
afterAll(async () => {
  await gw?.close();
});

describe('admin CLI', () => {
  it('adds a connection, creates a key for it that works, lists and revokes it', async () => {
    const added = JSON.parse(
      await runAdmin(
        ['connections', 'add', '--name', 'demo', '--broker-url', 'amqp://u:secret@127.0.0.1:5672/demo'],
        env,
      ),
    );
    expect(added).toMatchObject({ name: 'demo', enabled: true });
    const stored = await gw.pool.query<{ broker_url_encrypted: Buffer }>(
      'SELECT broker_url_encrypted FROM celeriac.connections WHERE connection_id = $1',
      [added.connectionId],
    );
    const sealed = stored.rows[0]?.broker_url_encrypted as Buffer;
    expect(sealed.toString('latin1')).not.toContain('secret');
    expect(createSecretBox(TEST_SECRET_KEY).open(sealed)).toBe('amqp://u:secret@127.0.0.1:5672/demo');
    expect(await runAdmin(['connections', 'list'], env)).toContain(added.connectionId);

    const output = await runAdmin(
      ['keys', 'create', '--name', 'ci', '--role', 'viewer', '--connections', added.connectionId],
      env,
    );
    const key = /key \(shown once, store it now\): (\S+)/.exec(output)?.[1] as string;
    expect(key).toMatch(/^clk_/);
    const hashes = await gw.pool.query<{ key_hash: Buffer }>('SELECT key_hash FROM celeriac.api_keys');
    expect(hashes.rows.some((row) => row.key_hash.toString('latin1').includes(key))).toBe(false);
    expect((await gw.request('GET', '/api/tasks', { key })).status).toBe(200);

    const keyId = JSON.parse(output.slice(0, output.lastIndexOf('}') + 1)).keyId as string;
    expect(await runAdmin(['keys', 'list'], env)).toContain(keyId);
    expect(await runAdmin(['keys', 'revoke', keyId], env)).toBe(`revoked ${keyId}`);
    expect((await gw.request('GET', '/api/tasks', { key })).status).toBe(401);
  });

  it.each([
    [['connections', 'add', '--name', 'x', '--broker-url', 'http://nope'], /amqp/],
    [['keys', 'create', '--name', 'x', '--role', 'root', '--all'], /role/],
    [['keys', 'create', '--name', 'x', '--role', 'viewer'], /connectionIds|allConnections/],
    [
      [
        'keys',
        'create',
        '--name',
        'x',
        '--role',
        'viewer',
        '--connections',
        '7d0b5a38-0000-4000-8000-000000000000',
      ],
      /Unknown connection/,
    ],
    [['keys', 'revoke', '7d0b5a38-0000-4000-8000-000000000000'], /unknown/],
    [['frobnicate'], /usage/],
  ])('refuses %j with a clear message', async (argv, message) => {
    await expect(runAdmin(argv, env)).rejects.toThrow(message);
  });

  it('rotates the broker-URL key: reseal needs the old key as previous, then only the new key opens the rows', async () => {
    const urls = ['amqp://u:one@127.0.0.1:5672/a', 'redis://:two@127.0.0.1:6379/3'];
    for (const [i, url] of urls.entries())
      await runAdmin(['connections', 'add', '--name', `rotate-${i}`, '--broker-url', url], env);
    const sealedUrls = async () =>
      (
        await gw.pool.query<{ broker_url_encrypted: Buffer }>(
          "SELECT broker_url_encrypted FROM celeriac.connections WHERE name LIKE 'rotate-%' ORDER BY name",
        )
      ).rows.map((row) => row.broker_url_encrypted);
    const newKey = randomBytes(32).toString('base64');

    // Without the old key nothing can be opened, and nothing is changed.
    await expect(
      runAdmin(['connections', 'reseal'], { ...env, CELERIAC_SECRET_KEY: newKey }),
    ).rejects.toThrow(/none of the configured keys.*nothing was changed/);
    expect((await sealedUrls()).map((sealed) => createSecretBox(TEST_SECRET_KEY).open(sealed))).toEqual(urls);

    const output = await runAdmin(['connections', 'reseal'], {
      ...env,
      CELERIAC_SECRET_KEY: newKey,
      CELERIAC_SECRET_KEY_PREVIOUS: TEST_SECRET_KEY,
    });
    expect(output).toMatch(/^resealed \d+ connection\(s\)/);
    const resealed = await sealedUrls();
    expect(resealed.map((sealed) => createSecretBox(newKey).open(sealed))).toEqual(urls);
    for (const sealed of resealed) expect(() => createSecretBox(TEST_SECRET_KEY).open(sealed)).toThrow();
  });
});

describe('admin API', () => {
  it('creates and deletes connections and keys for an all-connections admin', async () => {
    const admin = await insertKey(gw.pool, 'admin', 'all');
    const json = { 'content-type': 'application/json' };
    const connection = await gw.request('POST', '/api/v1/connections', {
      key: admin,
      headers: json,
      body: JSON.stringify({ name: 'api-conn', brokerUrl: 'amqp://u:p@h:5672/v' }),
    });
    expect(connection.status).toBe(201);
    const duplicate = await gw.request('POST', '/api/v1/connections', {
      key: admin,
      headers: json,
      body: JSON.stringify({ name: 'api-conn', brokerUrl: 'amqp://u:p@h:5672/v' }),
    });
    expect(duplicate.status).toBe(400);
    const created = await gw.request('POST', '/api/v1/keys', {
      key: admin,
      headers: json,
      body: JSON.stringify({ name: 'k', role: 'operator', connectionIds: [connection.json.connectionId] }),
    });
    expect(created.status).toBe(201);
    expect((await gw.request('GET', '/api/task/types', { key: created.json.key })).json).toEqual({
      'task-types': [],
    });
    const listed = await gw.request('GET', '/api/v1/keys', { key: admin });
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);
    expect((await gw.request('DELETE', `/api/v1/keys/${created.json.keyId}`, { key: admin })).status).toBe(
      204,
    );
    expect((await gw.request('DELETE', `/api/v1/keys/${created.json.keyId}`, { key: admin })).status).toBe(
      404,
    );
    expect((await gw.request('GET', '/api/task/types', { key: created.json.key })).status).toBe(401);
    expect(
      (await gw.request('DELETE', `/api/v1/connections/${connection.json.connectionId}`, { key: admin }))
        .status,
    ).toBe(204);
    expect(
      (await gw.request('POST', '/api/v1/keys', { key: admin, headers: json, body: '{"name":' })).status,
    ).toBe(400);
  });

  it('accepts Redis, TLS Redis and Sentinel broker URLs and refuses unusable ones with a 400 saying why', async () => {
    const admin = await insertKey(gw.pool, 'admin', 'all');
    const post = (name: string, brokerUrl: string) =>
      gw.request('POST', '/api/v1/connections', {
        key: admin,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, brokerUrl, options: { redisMasterName: 'mymaster' } }),
      });
    for (const [index, url] of [
      'redis://:pw@127.0.0.1:6379/2',
      'rediss://u:pw@redis.example:6380/0',
      'sentinel://s1:26379;sentinel://s2:26379',
    ].entries()) {
      const created = await post(`redis-${index}`, url);
      expect(created.status, url).toBe(201);
      const stored = await gw.pool.query<{ broker_url_encrypted: Buffer }>(
        'SELECT broker_url_encrypted FROM celeriac.connections WHERE connection_id = $1',
        [created.json.connectionId],
      );
      expect(createSecretBox(TEST_SECRET_KEY).open(stored.rows[0]?.broker_url_encrypted as Buffer)).toBe(url);
    }
    for (const [url, problem] of [
      ['redis://h/not-a-db', /database number/],
      ['redis://a:1;redis://b:2', /only sentinel/],
      ['mongodb://h', /amqp:\/\/, amqps:\/\/, redis:\/\/, rediss:\/\/ or sentinel:\/\//],
    ] as const) {
      const refused = await post('bad', url);
      expect(refused.status, url).toBe(400);
      expect(JSON.stringify(refused.json), url).toMatch(problem);
    }
  });

  it('keeps an admin bound to some connections out of keys and other connections', async () => {
    const { rows } = await gw.pool.query<{ connection_id: string }>(
      'SELECT connection_id FROM celeriac.connections LIMIT 1',
    );
    const scoped = await insertKey(gw.pool, 'admin', [rows[0]?.connection_id as string]);
    expect((await gw.request('GET', '/api/v1/keys', { key: scoped })).status).toBe(403);
    const listed = await gw.request('GET', '/api/v1/connections', { key: scoped });
    expect(listed.json.items.map((item: { connectionId: string }) => item.connectionId)).toEqual([
      rows[0]?.connection_id,
    ]);
  });
});
