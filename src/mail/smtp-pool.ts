import type { PreparedMessage } from './message-template';
import { connectionOptionsFromUrl, SmtpConnection, type ConnectionOptions } from './smtp-connection';

/** An envelope address that needs SMTPUTF8 (src/mail/email-address.ts puts ASCII local parts' domains in A-labels). */
const NON_ASCII = /[^\x00-\x7f]/;
export interface SmtpPoolOptions {
  /** Connections kept open at most. */
  size: number;
  /** Messages per connection before it is closed and replaced. */
  maxMessages?: number;
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
}

interface Slot {
  connection: SmtpConnection;
  messages: number;
  busy: boolean;
}

interface Pending {
  from: string;
  to: string;
  message: Buffer | PreparedMessage;
  /** A message that met a connection the server had just closed is tried once more on another one. */
  retried: boolean;
  resolve(response: string): void;
  reject(err: unknown): void;
}

type SendError = Error & { code?: string; responseCode?: number };

/**
 * A pool of SMTP connections to one server (SMTP_URL route), each carrying one message at a time. It replaces
 * nodemailer's pooled transport, which builds a MIME tree and a stream chain around every message even when
 * it is handed raw bytes. Like that transport: connections are reused for `maxMessages` messages, a refused
 * message leaves its connection usable (RSET), a broken connection is replaced, a failed connection attempt
 * fails one waiting message (so messages never wait forever on a dead server) and nothing is re-queued inside
 * the pool except a message that found its reused connection already closed before a byte of it was written.
 */
export class SmtpPool {
  private readonly slots = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private readonly connectionOptions: ConnectionOptions;
  private readonly auth: { user: string; credentials: { user: string; pass: string } } | undefined;
  private readonly maxMessages: number;
  private closed = false;
  /** Connections opened but not yet ready. */
  private connecting = 0;

  constructor(
    url: string,
    private readonly options: SmtpPoolOptions,
  ) {
    const { auth, ...parsed } = connectionOptionsFromUrl(url);
    this.auth = auth && (auth.user || auth.pass) ? { user: auth.user, credentials: { user: auth.user, pass: auth.pass } } : undefined;
    this.connectionOptions = {
      ...parsed,
      connectionTimeout: options.connectionTimeout ?? 15_000,
      greetingTimeout: options.greetingTimeout ?? 15_000,
      socketTimeout: options.socketTimeout ?? 60_000,
      logger: false,
    } as ConnectionOptions;
    this.maxMessages = options.maxMessages ?? 1000;
  }

  /**
   * Sends one message to one recipient; resolves with the server's final reply. A Buffer is any message
   * (nodemailer normalises its line ends and escapes dots); a PreparedMessage is written as it is.
   */
  send(from: string, to: string, message: Buffer | PreparedMessage): Promise<string> {
    if (this.closed) return Promise.reject(Object.assign(new Error('the SMTP pool is closed'), { code: 'ECONNECTION' }));
    return new Promise((resolve, reject) => {
      this.waiting.push({ from, to, message, retried: false, resolve, reject });
      this.pump();
    });
  }

  /** Closes every connection (QUIT) and fails what is still waiting. */
  close(): void {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(Object.assign(new Error('the SMTP pool was closed'), { code: 'ECONNECTION' }));
    for (const slot of this.slots) if (!slot.busy) slot.connection.quit();
  }

  /** Hands waiting messages to idle connections, and opens connections (up to the pool size) for the rest. */
  private pump(): void {
    while (this.waiting.length > 0) {
      const slot = this.idle.pop();
      if (slot) {
        this.transmit(slot, this.waiting.shift()!);
      } else if (this.connecting < this.waiting.length && this.slots.size < this.options.size) {
        this.connect();
      } else {
        return;
      }
    }
  }

  private connect(): void {
    const connection = new SmtpConnection(this.connectionOptions);
    const slot: Slot = { connection, messages: 0, busy: true };
    this.slots.add(slot);
    this.connecting++;
    let settled = false;
    const failed = (err: unknown) => {
      if (settled) return;
      settled = true;
      this.connecting--;
      this.drop(slot);
      connection.close();
      // The server is not there (or refused us): one waiting message learns why, the next one tries again.
      this.waiting.shift()?.reject(err);
      this.pump();
    };
    const ready = () => {
      settled = true;
      this.connecting--;
      this.release(slot);
    };
    connection.on('error', (err: Error) => {
      if (!settled) return failed(err);
      // While a message is in flight its send callback reports this error.
      if (!slot.busy) this.drop(slot);
    });
    connection.once('end', () => {
      if (!settled) return failed(Object.assign(new Error('the SMTP server closed the connection during the handshake'), { code: 'ECONNECTION' }));
      this.drop(slot);
    });
    connection.connect((err?: Error | null) => {
      if (err) return failed(err);
      if (!this.auth || !connection.allowsAuth) return ready();
      connection.login(this.auth, (loginErr?: Error | null) => (loginErr ? failed(loginErr) : ready()));
    });
  }

  private transmit(slot: Slot, pending: Pending): void {
    slot.busy = true;
    const { connection } = slot;
    let { message } = pending;
    if (NON_ASCII.test(pending.from + pending.to) && !connection.supports('SMTPUTF8')) {
      // RFC 6531: an address with a non-ASCII local part may only go to a server that announces SMTPUTF8.
      // Refused here, before MAIL FROM; the connection stays usable for the next message.
      const address = NON_ASCII.test(pending.to) ? pending.to : pending.from;
      pending.reject(Object.assign(new Error(`${address} is an internationalised address (RFC 6531) and this SMTP server does not announce SMTPUTF8: send it over a route whose server does`), { code: 'ESMTPUTF8' }));
      this.release(slot);
      return;
    }
    if (!Buffer.isBuffer(message) && message.eightBit && message.sevenBit && !connection.supports('8BITMIME')) {
      // This server takes 7-bit data only: the same message with every part in base64.
      message = message.sevenBit();
    }
    const prepared = Buffer.isBuffer(message) ? undefined : message;
    connection.writeAsIs = prepared !== undefined;
    connection.dataStarted = false;
    const reused = slot.messages > 0;
    const envelope = {
      from: pending.from,
      to: [pending.to],
      size: prepared ? prepared.size : (message as Buffer).length,
      use8BitMime: prepared?.eightBit === true,
    };
    // A PreparedMessage's chunks go to SmtpConnection's writer as one array (nodemailer hands it on as it is).
    connection.send(envelope, (prepared ? prepared.chunks : message) as Buffer, (err, info) => {
      slot.messages++;
      if (!err) {
        pending.resolve(info.response);
        if (slot.messages >= this.maxMessages) this.retire(slot);
        else this.release(slot);
        return;
      }
      const error = err as SendError;
      const refused = (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') && error.responseCode !== 421;
      if (refused && !connection.isTornDown()) {
        // The server refused this message; the session itself is fine.
        pending.reject(err);
        connection.reset((resetErr) => (resetErr ? this.retire(slot) : this.release(slot)));
        return;
      }
      this.drop(slot);
      connection.close();
      if (reused && !connection.dataStarted && !pending.retried && error.responseCode === undefined) {
        // The server had closed this idle connection before we used it: nothing was sent, try a fresh one.
        pending.retried = true;
        this.waiting.unshift(pending);
      } else {
        pending.reject(err);
      }
      this.pump();
    });
  }

  private release(slot: Slot): void {
    slot.busy = false;
    if (!this.slots.has(slot)) return;
    if (this.closed) {
      this.retire(slot);
      return;
    }
    this.idle.push(slot);
    this.pump();
  }

  private retire(slot: Slot): void {
    this.drop(slot);
    slot.connection.quit();
    this.pump();
  }

  private drop(slot: Slot): void {
    this.slots.delete(slot);
    const i = this.idle.indexOf(slot);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
