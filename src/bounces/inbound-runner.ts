import type { Config } from '../config';
import type { Logger } from '../log';
import type { Pool } from '../db/pool';
import { deleteInboundMessagesBefore } from '../db/inbound-messages';
import type { Links } from '../security/links';
import type { InboundDeps } from './inbound';
import { InboundSmtpServer } from './inbound-smtp';
import { MailboxPoller, parseMailboxUrl } from './mailbox-poller';

export interface RunningInbound {
  smtp?: InboundSmtpServer;
  smtpPort?: number;
  mailbox?: MailboxPoller;
  close(): Promise<void>;
}

const RETENTION_SWEEP_MS = 3_600_000;

/**
 * `tidings inbound`: the SMTP listener for BOUNCE_DOMAIN (when set) and the IMAP poller for BOUNCE_MAILBOX (when
 * set), plus an hourly sweep that drops raw messages older than INBOUND_KEEP_HOURS.
 */
export async function startInbound(deps: { config: Config; log: Logger; pool: Pool; links: Links }, options: { port?: number } = {}): Promise<RunningInbound> {
  const { config, log, pool, links } = deps;
  if (!config.bounceDomain && !config.bounceMailbox) {
    throw new Error('tidings inbound needs BOUNCE_DOMAIN (to receive bounces by SMTP) or BOUNCE_MAILBOX (to read them from an IMAP mailbox), or both');
  }
  const inboundDeps: InboundDeps = {
    pool,
    log,
    ownAddresses: [config.mailFrom.address],
    config,
  };
  const running: RunningInbound = { close: async () => {} };
  if (config.bounceDomain) {
    running.smtp = new InboundSmtpServer(inboundDeps, {
      bounceDomain: config.bounceDomain,
      readBounceAddress: (address) => links.readBounceAddress(address),
      maxBytes: config.inbound.maxBytes,
    });
    running.smtpPort = await running.smtp.listen(options.port ?? config.inbound.port, config.inbound.host);
    log.info({ event: 'inbound.listening', port: running.smtpPort, domain: config.bounceDomain }, `receiving bounces for ${config.bounceDomain} on port ${running.smtpPort}`);
  }
  if (config.bounceMailbox) {
    const target = parseMailboxUrl(config.bounceMailbox);
    running.mailbox = new MailboxPoller(inboundDeps, target, config.bounceMailboxPollSeconds * 1000);
    running.mailbox.start();
    log.info({ event: 'mailbox.polling', host: target.host, folder: target.folder }, `reading bounces from ${target.host}/${target.folder}`);
  }
  const sweep = () =>
    deleteInboundMessagesBefore(pool, new Date(Date.now() - config.inbound.keepHours * 3_600_000)).then(
      (n) => n && log.info({ event: 'inbound.expired', messages: n }, 'old raw messages dropped'),
      (err) => log.warn({ event: 'inbound.expire_failed', err }, 'could not drop old raw messages'),
    );
  void sweep();
  const timer = setInterval(sweep, RETENTION_SWEEP_MS);
  timer.unref();
  running.close = async () => {
    clearInterval(timer);
    await Promise.all([running.smtp?.close(), running.mailbox?.stop()]);
  };
  return running;
}
