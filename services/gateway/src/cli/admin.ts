import { parseArgs } from 'node:util';
import { createSecretBox, previousKeysOf } from '@celeriac/connection-secrets/secret-box';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createPgPool, pgTimeoutKnobs, pgTimeoutsOf } from '@celeriac/service-runtime/pg-pool';
import { z } from 'zod';
import { addConnection, connectionView, createKey, keyView } from '../admin/admin-commands';
import { createAdminStore } from '../data/admin-store';

const USAGE = `usage: npm run admin -w @celeriac/gateway -- <command>
  connections add --name <name> --broker-url amqp://...|redis://...|sentinel://... [--options '<json>']
  connections list
  connections delete <connection-id>
  connections reseal          (key rotation: every broker URL sealed again under CELERIAC_SECRET_KEY)
  keys create --name <name> --role viewer|operator|support|admin (--connections <id,...> | --all)
  keys list
  keys revoke <key-id>
environment: CELERIAC_DATABASE_URL (always), CELERIAC_SECRET_KEY (connections add, reseal),
  CELERIAC_SECRET_KEY_PREVIOUS (reseal: the keys rows may still be sealed under, comma list)`;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Runs one admin command and returns what to print; errors carry a message for the user. */
export async function runAdmin(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'broker-url': { type: 'string' },
      options: { type: 'string' },
      role: { type: 'string' },
      connections: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
  });
  const [noun, verb, id] = positionals;
  const pool = createPgPool({
    connectionString: required(env, 'CELERIAC_DATABASE_URL'),
    max: 2,
    // The same CELERIAC_PG_* timeouts as the services, so a dead database fails the command, not hangs it.
    timeouts: pgTimeoutsOf(z.object(pgTimeoutKnobs).parse(env)),
    // A failed command reports its own error; the pool's connection errors add nothing for a user.
    logger: silentLogger,
    applicationName: 'celeriac-admin',
  });
  const store = createAdminStore(pool);
  try {
    switch (`${noun} ${verb}`) {
      case 'connections add': {
        const box = createSecretBox(required(env, 'CELERIAC_SECRET_KEY'));
        const options = values.options ? (JSON.parse(values.options) as unknown) : {};
        const row = await addConnection(store, box.seal, {
          name: values.name,
          brokerUrl: values['broker-url'],
          options,
        });
        return JSON.stringify(connectionView(row), null, 2);
      }
      case 'connections list':
        return JSON.stringify((await store.listConnections()).map(connectionView), null, 2);
      case 'connections reseal': {
        const box = createSecretBox(
          required(env, 'CELERIAC_SECRET_KEY'),
          previousKeysOf(env.CELERIAC_SECRET_KEY_PREVIOUS),
        );
        const count = await store.resealBrokerUrls((sealed, connectionId) => {
          try {
            return box.seal(box.open(sealed));
          } catch (error) {
            const why = error instanceof Error ? error.message : String(error);
            throw new Error(`connection ${connectionId}: ${why}; nothing was changed`);
          }
        });
        return `resealed ${count} connection(s) under the current CELERIAC_SECRET_KEY`;
      }
      case 'connections delete':
        if (!id || !(await store.deleteConnection(id))) throw new Error(`unknown connection ${id ?? ''}`);
        return `deleted ${id}`;
      case 'keys create': {
        const connectionIds =
          values.connections
            ?.split(',')
            .map((part) => part.trim())
            .filter(Boolean) ?? [];
        const { key, row } = await createKey(store, {
          name: values.name,
          role: values.role,
          allConnections: values.all,
          connectionIds,
        });
        return `${JSON.stringify(keyView(row), null, 2)}\nkey (shown once, store it now): ${key}`;
      }
      case 'keys list':
        return JSON.stringify((await store.listKeys()).map(keyView), null, 2);
      case 'keys revoke':
        if (!id || !(await store.revokeKey(id)))
          throw new Error(`unknown or already revoked key ${id ?? ''}`);
        return `revoked ${id}`;
      default:
        throw new Error(USAGE);
    }
  } finally {
    await pool.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdmin(process.argv.slice(2), process.env).then(
    (output) => console.log(output),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
