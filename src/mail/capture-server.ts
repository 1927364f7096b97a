import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface CapturedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** Whether the client asked for SMTPUTF8 (RFC 6531) in its MAIL FROM. */
  smtpUtf8?: boolean;
  /** Where it was written, when the server writes an outbox. */
  file?: string;
}

export interface CaptureServerOptions {
  /** Write each message to <outboxDir>/<send-id>/<n>.eml; omit to keep messages in memory only. */
  outboxDir?: string;
  /** Keep every message in `messages` (tests); the demo leaves this off so memory stays flat. */
  keep?: boolean;
  /**
   * Decides the reply to a message: undefined accepts it, an object rejects it with that SMTP code.
   * Lets tests play a server that refuses or defers some recipients.
   */
  reply?: (message: CapturedMessage) => { code: number; message: string } | undefined;
  /** Milliseconds to wait before answering each message: a slow server, for tests of pausing and crashing. */
  latencyMs?: number;
  port?: number;
  /** Play a server that does not announce SMTPUTF8 (RFC 6531). */
  hideSmtpUtf8?: boolean;
}

/**
 * An SMTP server on loopback that accepts everything and files it: the demo's and the tests' real SMTP peer.
 * Messages are grouped by the send id in their Feedback-ID header.
 */
export class CaptureServer {
  readonly messages: CapturedMessage[] = [];
  private readonly server: SMTPServer;
  private readonly counters = new Map<string, number>();
  private readonly directories = new Map<string, Promise<unknown>>();
  private listeners: ((message: CapturedMessage) => void)[] = [];
  accepted = 0;

  constructor(private readonly options: CaptureServerOptions = {}) {
    this.server = new SMTPServer({
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: 50 * 1024 * 1024,
      maxClients: 200,
      // On close, wait this long for clients to say QUIT before cutting them off.
      closeTimeout: 2000,
      hideSMTPUTF8: options.hideSmtpUtf8 === true,
      onData: (stream, session, callback) => this.receive(stream, session, callback),
    });
    this.server.on('error', () => {});
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  onMessage(listener: (message: CapturedMessage) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const message: CapturedMessage = {
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks),
        smtpUtf8: session.envelope.smtpUtf8 === true,
      };
      if (this.options.latencyMs) {
        setTimeout(() => this.answer(message, callback), this.options.latencyMs);
        return;
      }
      this.answer(message, callback);
    });
  }

  private answer(message: CapturedMessage, callback: (err?: Error | null) => void): void {
    const rejection = this.options.reply?.(message);
    if (rejection) {
      const err = new Error(rejection.message) as Error & { responseCode: number };
      err.responseCode = rejection.code;
      callback(err);
      return;
    }
    this.store(message).then(
      () => {
        this.accepted++;
        if (this.options.keep) this.messages.push(message);
        for (const listener of this.listeners) listener(message);
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  private async store(message: CapturedMessage): Promise<void> {
    if (!this.options.outboxDir) return;
    const head = message.raw.subarray(0, 8192).toString('latin1');
    const sendId = /^Feedback-ID: (\d+):/im.exec(head)?.[1] ?? 'other';
    const n = (this.counters.get(sendId) ?? 0) + 1;
    this.counters.set(sendId, n);
    const dir = path.join(this.options.outboxDir, sendId);
    let ready = this.directories.get(dir);
    if (!ready) this.directories.set(dir, (ready = mkdir(dir, { recursive: true })));
    await ready;
    message.file = path.join(dir, `${n}.eml`);
    await writeFile(message.file, message.raw);
  }
}
