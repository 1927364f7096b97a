import nodemailer from 'nodemailer';
import { TidingsError } from '../errors';

export interface Envelope {
  from: string;
  to: string;
}

export interface SendResult {
  /** The SMTP server's final reply, e.g. "250 2.0.0 Ok: queued as 4F2A1". */
  response: string;
}

/** Sends one finished message. The engine depends on this, not on nodemailer. */
export interface Mailer {
  send(envelope: Envelope, raw: Buffer): Promise<SendResult>;
  close(): Promise<void>;
}

export interface SmtpMailerOptions {
  url: string;
  poolSize: number;
  /** Messages per connection before it is recycled. */
  maxMessages?: number;
}

/** One pooled nodemailer SMTP transport per process; messages go out `raw`, as built by MessageTemplate. */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.poolSize,
    maxMessages: options.maxMessages ?? 1000,
    // Identify as this host, and keep slow servers from holding a worker forever.
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  return {
    async send(envelope, raw) {
      try {
        const info = await transport.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw });
        return { response: String(info.response ?? '') };
      } catch (err) {
        throw classifySmtpError(err, envelope.to);
      }
    },
    async close() {
      transport.close();
    },
  };
}

export class SmtpError extends TidingsError {
  constructor(
    readonly permanent: boolean,
    readonly responseCode: number | undefined,
    readonly response: string,
    recipient: string,
    cause: unknown,
  ) {
    super(permanent ? 'SMTP_PERMANENT' : 'SMTP_TEMPORARY', `SMTP ${permanent ? 'rejected' : 'could not take'} message for ${recipient}: ${response}`, {
      responseCode,
      recipient,
    }, { cause });
    this.name = 'SmtpError';
  }
}

/**
 * A 5xx reply is permanent: the delivery fails and is never retried. A 4xx reply, a dropped connection or
 * a timeout is temporary: the delivery is retried with backoff.
 */
export function classifySmtpError(err: unknown, recipient: string): SmtpError {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = e.response ?? `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}`;
  const permanent = code !== undefined && code >= 500 && code < 600;
  return new SmtpError(permanent, code, response.trim(), recipient, err);
}
