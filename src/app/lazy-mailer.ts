import type { Config } from '../config';
import type { Logger } from '../log';
import type { Mailer } from '../mail/mailer';

/**
 * The mailer of the HTTP server (confirmation emails), created on first use so that a server that never
 * sends opens no SMTP connection. Same rules as the workers: SMTP_URL, or the embedded capture server.
 */
export class LazyMailer {
  private mailer: Promise<Mailer> | undefined;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  get(): Promise<Mailer> {
    this.mailer ??= import('./runtime').then(({ createMailer }) => createMailer(this.config, this.log)).then((setup) => setup.mailer);
    this.mailer.catch(() => (this.mailer = undefined));
    return this.mailer;
  }

  async close(): Promise<void> {
    const mailer = this.mailer;
    this.mailer = undefined;
    if (mailer) await (await mailer.catch(() => undefined))?.close();
  }
}
