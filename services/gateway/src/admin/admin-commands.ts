import { brokerUrlProblem, MAX_BROKER_URL_LENGTH } from '@celeriac/connection-secrets/broker-url';
import { z } from 'zod';
import { generateApiKey } from '../auth/api-keys';
import type { AdminStore, ApiKeyRow, ConnectionRow } from '../data/admin-store';
import { BadRequestError } from '../errors';

/** Shared by the admin CLI and /api/v1/connections|keys, so both validate exactly alike. */
export const newConnectionSchema = z.object({
  name: z.string().min(1).max(200),
  brokerUrl: z
    .string()
    .max(MAX_BROKER_URL_LENGTH)
    .superRefine((url, context) => {
      const problem = brokerUrlProblem(url);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const newKeySchema = z
  .object({
    name: z.string().min(1).max(200),
    role: z.enum(['viewer', 'operator', 'support', 'admin']),
    allConnections: z.boolean().default(false),
    connectionIds: z.array(z.uuid()).max(1_000).default([]),
  })
  .refine((key) => key.allConnections !== key.connectionIds.length > 0, {
    message: 'give either connectionIds (one or more) or allConnections, not both',
  });

export function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`,
    );
    throw new BadRequestError(problems.join('; '));
  }
  return parsed.data;
}

export async function addConnection(
  store: AdminStore,
  seal: (url: string) => Buffer,
  input: unknown,
): Promise<ConnectionRow> {
  const connection = validate(newConnectionSchema, input);
  return store.addConnection(connection.name, seal(connection.brokerUrl), connection.options);
}

/** Creates a key; the secret is returned here once and never stored. */
export async function createKey(store: AdminStore, input: unknown): Promise<{ key: string; row: ApiKeyRow }> {
  const spec = validate(newKeySchema, input);
  for (const id of spec.connectionIds) {
    if (!(await store.connectionExists(id.toLowerCase())))
      throw new BadRequestError(`Unknown connection ${id}`);
  }
  const generated = generateApiKey();
  const row = await store.createKey({
    name: spec.name,
    prefix: generated.prefix,
    hash: generated.hash,
    role: spec.role,
    allConnections: spec.allConnections,
    connectionIds: spec.connectionIds.map((id) => id.toLowerCase()),
  });
  return { key: generated.key, row };
}

export function connectionView(row: ConnectionRow) {
  return {
    connectionId: row.connection_id,
    name: row.name,
    enabled: row.enabled,
    options: row.options,
    createdAt: row.created_at.toISOString(),
  };
}

export function keyView(row: ApiKeyRow) {
  return {
    keyId: row.key_id,
    name: row.name,
    keyPrefix: row.key_prefix,
    role: row.role,
    allConnections: row.all_connections,
    connectionIds: row.connection_ids,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
  };
}
