import { readFileSync } from 'node:fs';
import { booleanFlag } from '@celeriac/service-runtime/config';
import { z } from 'zod';
import type { KafkaSecurity } from './kafka';

/**
 * Kafka TLS and SASL settings, the same variables in every service's config schema (spread these
 * fields into it, then pass the parsed env to `kafkaSecurityOf`). All optional: with none set the
 * client speaks plaintext without authentication, as the local run does.
 */
export const kafkaSecurityFields = {
  /** Use TLS to the brokers. Default false (true when any CA/cert/key file is given). */
  CELERIAC_KAFKA_SSL: booleanFlag.default(false),
  /** PEM file of the CA that signed the brokers' certificates. Default: Node's trusted CAs. */
  CELERIAC_KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  /** PEM client certificate and key files, for brokers that require mutual TLS. Optional. */
  CELERIAC_KAFKA_SSL_CERT_FILE: z.string().min(1).optional(),
  CELERIAC_KAFKA_SSL_KEY_FILE: z.string().min(1).optional(),
  /** SASL mechanism: plain, scram-sha-256 or scram-sha-512. Default none. */
  CELERIAC_KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  /** SASL user name and password; required with a mechanism. */
  CELERIAC_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  CELERIAC_KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
};

const securitySchema = z.object(kafkaSecurityFields);
type SecurityEnv = z.infer<typeof securitySchema>;

/** The client settings the env asks for; throws when a SASL mechanism lacks its credentials. */
export function kafkaSecurityOf(env: SecurityEnv): KafkaSecurity {
  const read = (path: string | undefined) => (path ? readFileSync(path, 'utf8') : undefined);
  const files = [
    env.CELERIAC_KAFKA_SSL_CA_FILE,
    env.CELERIAC_KAFKA_SSL_CERT_FILE,
    env.CELERIAC_KAFKA_SSL_KEY_FILE,
  ];
  const ssl =
    env.CELERIAC_KAFKA_SSL || files.some(Boolean)
      ? {
          ca: read(env.CELERIAC_KAFKA_SSL_CA_FILE),
          cert: read(env.CELERIAC_KAFKA_SSL_CERT_FILE),
          key: read(env.CELERIAC_KAFKA_SSL_KEY_FILE),
        }
      : undefined;
  const mechanism = env.CELERIAC_KAFKA_SASL_MECHANISM;
  if (!mechanism) return { ssl };
  const { CELERIAC_KAFKA_SASL_USERNAME: username, CELERIAC_KAFKA_SASL_PASSWORD: password } = env;
  if (!username || !password)
    throw new Error('CELERIAC_KAFKA_SASL_MECHANISM needs CELERIAC_KAFKA_SASL_USERNAME and _PASSWORD');
  return { ssl, sasl: { mechanism, username, password } };
}
