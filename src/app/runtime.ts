import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';
import { startCaptureProcess, type CaptureProcess } from '../mail/capture-process';
import { createSmtpMailer, type Mailer } from '../mail/mailer';

export interface MailerSetup {
  mailer: Mailer;
  /** The embedded capture server (a child process), when SMTP_URL is unset. */
  capture?: CaptureProcess;
  description: string;
}

/**
 * SMTP_URL set: a pooled SMTP transport to it. Unset (development only, enforced by config): an embedded
 * capture server on loopback that files every message under OUTBOX_DIR/<send-id>/<n>.eml.
 */
export async function createMailer(config: Config, log: Logger): Promise<MailerSetup> {
  if (config.smtpUrl) {
    const safe = new URL(config.smtpUrl);
    safe.password = safe.password ? '***' : '';
    return { mailer: createSmtpMailer({ url: config.smtpUrl, poolSize: config.smtpPoolSize }), description: safe.toString() };
  }
  const capture = await startCaptureProcess(config.outboxDir);
  log.info({ event: 'capture.listening', port: capture.port, outbox: config.outboxDir }, 'SMTP_URL is unset: capturing mail locally');
  const smtp = createSmtpMailer({ url: capture.url, poolSize: config.smtpPoolSize });
  return {
    mailer: {
      send: (envelope, raw, route) => smtp.send(envelope, raw, route),
      preferredRoutes: () => smtp.preferredRoutes(),
      breakers: () => smtp.breakers(),
      async close() {
        await smtp.close();
        await capture.close();
      },
    },
    capture,
    description: `embedded capture server ${capture.url} → ${path.resolve(config.outboxDir)}`,
  };
}

/** Calls `stop` once on SIGINT or SIGTERM; a second signal exits at once. */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info({ event: 'process.stopping', signal }, 'stopping: finishing work in flight');
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ event: 'process.stop_failed', err }, 'could not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
