import { booleanFlag, commaList } from '@celeriac/service-runtime/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { schemaFields } from './schema-fields';

describe('schemaFields', () => {
  it('reads type, bounds, default and whether a variable is required, under transforms', () => {
    const schema = z
      .object({
        A_URL: z.string().min(1),
        A_BROKERS: commaList,
        A_FLAG: booleanFlag.default(false),
        A_POOL: z.coerce.number().int().min(1).max(200).default(10),
        A_BYTES: z.coerce.number().int().positive().default(8),
        A_SECONDS: z.coerce.number().min(1).max(3600).default(300),
        A_LEVEL: z.enum(['info', 'debug']).default('info'),
        A_ID: z.uuid().optional(),
      })
      .transform((env) => env)
      .refine(() => true);
    expect(schemaFields(schema)).toEqual([
      { key: 'A_URL', type: 'string', defaultValue: undefined, required: true },
      { key: 'A_BROKERS', type: 'comma-separated list', defaultValue: undefined, required: true },
      { key: 'A_FLAG', type: 'boolean (true/false/1/0)', defaultValue: 'false', required: false },
      { key: 'A_POOL', type: 'integer 1..200', defaultValue: '10', required: false },
      { key: 'A_BYTES', type: 'integer ≥ 1', defaultValue: '8', required: false },
      { key: 'A_SECONDS', type: 'number 1..3600', defaultValue: '300', required: false },
      { key: 'A_LEVEL', type: 'info | debug', defaultValue: 'info', required: false },
      { key: 'A_ID', type: 'string (uuid)', defaultValue: undefined, required: false },
    ]);
  });
});
