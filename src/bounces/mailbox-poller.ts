import { ImapFlow } from 'imapflow';
import type { Logger } from '../log';
import { receiveInboundMessage, type InboundDeps } from './inbound';

/**
 * For operators whose bounces land in a mailbox: BOUNCE_MAILBOX=imaps://user:pass@host/INBOX. Each poll reads
 * every message left in the folder, applies it (receiveInboundMessage) and moves it to the processed or the
 * unrecognised folder, so the folder itself is the bookmark: after a restart the poller goes on with what is
 * still there. A message applied but not yet moved when the process died is recognised by its bytes
 * (inbound_messages.sha256) and only moved: it is never applied twice.
 */
export interface MailboxTarget {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  folder: string;
  processedFolder: string;
  unrecognisedFolder: string;
  /** Accept a certificate that does not verify (a test server, a self-signed certificate): `?tls=insecure`. */
  insecureTls: boolean;
}

/** `imaps://user:pass@host:993/INBOX?processed=Processed&unrecognised=Unrecognised` → a target; throws on anything else. */
export function parseMailboxUrl(text: string): MailboxTarget {
  const url = new URL(text);
  if (url.protocol !== 'imaps:' && url.protocol !== 'imap:') throw new Error(`must be an imaps:// (or imap://) URL, got '${url.protocol}'`);
  if (!url.username) throw new Error('names no user: imaps://user:password@host/INBOX');
  const secure = url.protocol === 'imaps:';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(url.username),
    pass: decodeURIComponent(url.password),
    folder: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX',
    processedFolder: url.searchParams.get('processed') ?? 'Processed',
    unrecognisedFolder: url.searchParams.get('unrecognised') ?? 'Unrecognised',
    insecureTls: url.searchParams.get('tls') === 'insecure',
  };
}

export interface PollResult {
  processed: number;
  unrecognised: number;
  duplicates: number;
}

export class MailboxPoller {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly deps: InboundDeps,
    private readonly target: MailboxTarget,
    private readonly intervalMs: number,
  ) {}

  get log(): Logger {
    return this.deps.log;
  }

  /** Polls now and then every interval; a failed poll is logged and retried at the next one. */
  start(): void {
    const tick = () => {
      this.running = this.pollOnce()
        .catch((err) => this.deps.log.error({ event: 'mailbox.poll_failed', err, host: this.target.host }, 'could not read the bounce mailbox'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async pollOnce(): Promise<PollResult> {
    const client = new ImapFlow({
      host: this.target.host,
      port: this.target.port,
      secure: this.target.secure,
      auth: { user: this.target.user, pass: this.target.pass },
      tls: this.target.insecureTls ? { rejectUnauthorized: false } : undefined,
      logger: false,
    });
    client.on('error', (err: Error) => this.deps.log.warn({ event: 'mailbox.connection_error', err }, 'bounce mailbox connection error'));
    await client.connect();
    const result: PollResult = { processed: 0, unrecognised: 0, duplicates: 0 };
    try {
      await this.ensureFolders(client);
      const lock = await client.getMailboxLock(this.target.folder);
      try {
        // Fetched first, then applied and moved: IMAP commands may not be sent while a FETCH streams. An empty
        // folder has no `1:*` to fetch.
        const exists = client.mailbox ? client.mailbox.exists : 0;
        const messages = exists ? await client.fetchAll('1:*', { uid: true, source: true }, { uid: false }) : [];
        for (const message of messages) {
          if (!message.source) continue;
          const received = await receiveInboundMessage(this.deps, { channel: 'imap', raw: message.source });
          if (received.duplicate) result.duplicates++;
          const unrecognised = received.outcome === 'unrecognised' || received.outcome === 'malformed';
          if (unrecognised) result.unrecognised++;
          else result.processed++;
          await client.messageMove(String(message.uid), unrecognised ? this.target.unrecognisedFolder : this.target.processedFolder, { uid: true });
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    if (result.processed || result.unrecognised) this.deps.log.info({ event: 'mailbox.polled', ...result }, 'bounce mailbox read');
    return result;
  }

  private async ensureFolders(client: ImapFlow): Promise<void> {
    const existing = new Set((await client.list()).map((m) => m.path));
    for (const folder of [this.target.processedFolder, this.target.unrecognisedFolder]) {
      if (!existing.has(folder)) await client.mailboxCreate(folder);
    }
  }
}
