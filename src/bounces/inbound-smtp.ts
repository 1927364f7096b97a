import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../log';
import { receiveInboundMessage, type InboundDeps } from './inbound';

export interface InboundSmtpOptions {
  /** BOUNCE_DOMAIN: only bounce+<token>@ this domain is accepted. */
  bounceDomain: string;
  /** Verifies a VERP address's token: the delivery it names, or null when it is not ours (forged, mistyped). */
  readBounceAddress(address: string): { deliveryId: number } | null;
  /** Largest message accepted (announced with SIZE; a bigger one gets 552). */
  maxBytes: number;
  /** Connections at once; more wait for a free slot. */
  maxClients?: number;
}

/**
 * The bounce mailbox as an SMTP server (`tidings inbound`): the MX of BOUNCE_DOMAIN. It accepts mail only for
 * bounce+<token>@BOUNCE_DOMAIN with a token we signed (anything else gets 550 at RCPT, so it is never an open
 * inbox), applies each report at once, and keeps the raw message. A bad message is stored and reported; no
 * input makes the listener fail. When PostgreSQL is unreachable the sender is told to try again later (451).
 */
export class InboundSmtpServer {
  private readonly server: SMTPServer;

  constructor(
    private readonly deps: InboundDeps,
    private readonly options: InboundSmtpOptions,
  ) {
    this.server = new SMTPServer({
      name: options.bounceDomain,
      banner: 'Tidings bounce mailbox',
      disabledCommands: ['AUTH', 'STARTTLS'],
      authOptional: true,
      logger: false,
      size: options.maxBytes,
      maxClients: options.maxClients ?? 100,
      closeTimeout: 5000,
      onRcptTo: (address, session, callback) => this.rcptTo(address.address, session, callback),
      onData: (stream, session, callback) => this.data(stream, session, callback),
    });
    // A client that misbehaves (drops the line, sends garbage) ends its own session, never the listener.
    this.server.on('error', (err) => deps.log.warn({ event: 'inbound.smtp_error', err }, 'inbound SMTP session error'));
  }

  get log(): Logger {
    return this.deps.log;
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private rcptTo(address: string, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const verp = domain === this.options.bounceDomain ? this.options.readBounceAddress(address) : null;
    if (!verp) {
      callback(smtpError(550, `5.1.1 <${address}>: no such mailbox here`));
      return;
    }
    if (session.envelope.rcptTo.length > 0) {
      // One report per transaction keeps the VERP match exact; the sender delivers the others separately.
      callback(smtpError(452, '4.5.3 Too many recipients: one bounce address per message, please'));
      return;
    }
    callback();
  }

  private data(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => callback(smtpError(451, '4.3.0 Could not read the message, try again later')));
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        callback(smtpError(552, `5.3.4 Message too big: the limit is ${this.options.maxBytes} bytes`));
        return;
      }
      const to = session.envelope.rcptTo[0]?.address;
      const verp = to ? this.options.readBounceAddress(to) : null;
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      receiveInboundMessage(this.deps, { channel: 'smtp', raw: Buffer.concat(chunks), envelopeFrom: from, envelopeTo: to, deliveryId: verp?.deliveryId }).then(
        () => callback(),
        (err: Error) => {
          this.deps.log.error({ event: 'inbound.store_failed', err }, 'could not store an inbound message: the sender will retry');
          callback(smtpError(451, '4.3.0 Temporary local problem, try again later'));
        },
      );
    });
  }
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}
