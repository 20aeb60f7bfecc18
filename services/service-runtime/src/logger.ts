import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * One JSON logger per process; components take `logger.child({ component })`.
 * Tests are quiet unless CELERIAC_LOG_LEVEL says otherwise.
 */
export function createLogger(options: { service: string; level?: string }): Logger {
  return pino({
    name: options.service,
    level: options.level ?? 'info',
    // Broker URLs and keys may sit in error contexts; never print them.
    redact: {
      paths: ['brokerUrl', '*.brokerUrl', 'password', '*.password', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
