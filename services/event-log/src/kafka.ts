import type { Logger } from '@celeriac/service-runtime/logger';
import { Kafka, type LogEntry, logLevel, type SASLOptions } from 'kafkajs';

/** TLS and SASL of the Kafka connection (see kafka-config.ts for the variables). */
export interface KafkaSecurity {
  ssl?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined } | undefined;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/**
 * The one place that builds a kafkajs client. kafkajs is unmaintained, so services use the small
 * producer/consumer/tail interfaces of this package and never import kafkajs themselves; another
 * client can replace it here.
 */
export function createKafka(options: {
  clientId: string;
  brokers: string[];
  logger: Logger;
  security?: KafkaSecurity;
}): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.security?.ssl ? { ...options.security.ssl } : false,
    ...(options.security?.sasl ? { sasl: { ...options.security.sasl } as SASLOptions } : {}),
    connectionTimeout: 3000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...fields } = entry;
        if (level <= logLevel.ERROR) log.error(fields, message);
        else if (level === logLevel.WARN) log.warn(fields, message);
        else log.debug(fields, message);
      },
  });
}
