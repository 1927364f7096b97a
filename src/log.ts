import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs with stable event names in `event` (send.started, delivery.failed, …).
 * Secrets never reach the log: connection strings and tokens are redacted by path.
 */
export function createLogger(options: { level: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  const redact = {
    paths: [
      'config.secretKey', 'config.adminToken', 'config.databaseUrl', 'config.smtpUrl', 'config.webhooks', 'config.dkim',
      'token', '*.token', 'password', '*.password', 'authorization', '*.authorization',
    ],
    censor: '[redacted]',
  };
  if (options.pretty) {
    return pino(
      { level: options.level, redact, base: undefined },
      pino.transport({ target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } }),
    );
  }
  return pino({ level: options.level, redact }, options.destination ?? pino.destination(2));
}
