import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseConnectionUrl } from 'nodemailer/lib/shared';

// Read through require rather than `import … with { type: 'json' }`: esbuild drops the import attribute when
// it bundles for node20, and Node then refuses the compiled import (the CI failure of 2026-12-01).
const nodemailerPackage = createRequire(import.meta.url)('nodemailer/package.json') as { version: string };

// Every use of nodemailer's internals lives in this file: SMTPConnection's private fields and methods (named in
// ConnectionInternals) and lib/shared's URL parser. package.json pins nodemailer's exact version, and
// test/smtp-connection.test.ts (checkNodemailerInternals) fails with a message naming what changed shape.

export type ConnectionOptions = ConstructorParameters<typeof SMTPConnection>[0];

/** SMTP_URL (smtp://user:pass@host:port?…) as connection options, the credentials apart. */
export function connectionOptionsFromUrl(url: string): Record<string, unknown> & { auth?: { user: string; pass: string } } {
  return parseConnectionUrl(url) as Record<string, unknown> & { auth?: { user: string; pass: string } };
}

/** The end of DATA after a message that already ends with CRLF. */
const DATA_END = Buffer.from('.\r\n');

/** The parts of nodemailer's SMTPConnection this module relies on that its type declarations leave out. */
interface ConnectionInternals {
  _socket: Socket | false | null;
  /** The extensions the server's EHLO reply announced (upper case), e.g. 8BITMIME, PIPELINING. */
  _supportedExtensions: string[];
  _destroyed: boolean;
  _responseActions: ((str: string) => void)[];
  _actionSMTPStream(str: string, callback: (err: Error | null, str?: string) => void): void;
}

/**
 * nodemailer's SMTP connection (greeting, EHLO, STARTTLS, AUTH, pipelined envelope, replies), except for how
 * a ready message is written: nodemailer passes every message through a stream that inspects each byte for
 * dots and bare line ends, which costs more CPU than everything else per message. A PreparedMessage already
 * has CRLF line ends and no line starting with a dot, so its chunks are written to the socket as they are, in
 * one write with the end of DATA. Anything else still goes through nodemailer's own data stream.
 */
export class SmtpConnection extends SMTPConnection {
  /** Applies to the next send() only. */
  writeAsIs = false;
  /** Set once bytes of the current message have been written (the message can no longer be re-sent elsewhere). */
  dataStarted = false;
  /**
   * The buffer each message is copied into, reused from message to message: allocating ~70 KB of memory
   * outside V8's heap per email made V8 run full garbage collections to keep up (a fifth of a worker's CPU).
   * It is only reused once the previous write has been handed to the kernel.
   */
  private outgoing: Buffer | undefined;
  private outgoingBusy = false;

  /** Whether the server's EHLO reply announced an extension (upper case), e.g. 8BITMIME, SMTPUTF8. */
  supports(extension: string): boolean {
    return (this as unknown as ConnectionInternals)._supportedExtensions.includes(extension);
  }

  /** True once nodemailer has torn the connection down (closed or failed): its private flag, as the pool has always read it. */
  isTornDown(): boolean {
    return (this as unknown as ConnectionInternals)._destroyed;
  }

  // Overrides nodemailer's internal _createSendStream (see ConnectionInternals).
  _createSendStream(callback: (err: Error | null, str?: string) => void) {
    this.dataStarted = true;
    const self = this as unknown as ConnectionInternals;
    if (!this.writeAsIs || this.options.lmtp || this.options.debug) {
      return (SMTPConnection.prototype as unknown as { _createSendStream: (cb: typeof callback) => unknown })._createSendStream.call(this, callback);
    }
    this.writeAsIs = false;
    self._responseActions.push((str) => self._actionSMTPStream(str, callback));
    const socket = self._socket as Socket;
    const writer = { outByteCount: 0, write: (chunks: readonly Buffer[]) => this.writeMessage(socket, chunks, writer), end() {} };
    return writer;
  }

  // One buffer, one write: copying ~70 KB costs less than handing the kernel a writev of many chunks.
  private writeMessage(socket: Socket, chunks: readonly Buffer[], writer: { outByteCount: number }): void {
    let size = DATA_END.length;
    for (const chunk of chunks) size += chunk.length;
    let buffer = this.outgoing;
    if (!buffer || buffer.length < size || this.outgoingBusy) {
      buffer = Buffer.allocUnsafeSlow(Math.max(size, 64 * 1024));
      if (!this.outgoingBusy) this.outgoing = buffer;
    }
    let at = 0;
    for (const chunk of chunks) at += chunk.copy(buffer, at);
    DATA_END.copy(buffer, at);
    writer.outByteCount = size;
    const reusable = buffer === this.outgoing;
    if (reusable) this.outgoingBusy = true;
    socket.write(buffer.subarray(0, size), () => {
      if (reusable) this.outgoingBusy = false;
    });
  }
}

/**
 * What this file needs of nodemailer, checked against the installed version: a list of plain-word problems,
 * empty when everything is in place (test/smtp-connection.test.ts fails on any).
 */
export function checkNodemailerInternals(): string[] {
  const problems: string[] = [];
  const version = nodemailerPackage.version;
  const say = (what: string) => problems.push(`nodemailer ${version}: ${what}; src/mail/smtp-connection.ts relies on it (pin nodemailer back, or adapt that file)`);
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
  for (const method of ['_createSendStream', '_actionSMTPStream', 'connect', 'login', 'send', 'reset', 'quit', 'close']) {
    if (typeof proto[method] !== 'function') say(`SMTPConnection.prototype.${method} is not a function`);
  }
  const probe = new SMTPConnection({ host: '127.0.0.1', port: 9, logger: false }) as unknown as Record<string, unknown>;
  if (!Array.isArray(probe._responseActions)) say('a new SMTPConnection has no _responseActions array');
  if (!Array.isArray(probe._supportedExtensions)) say('a new SMTPConnection has no _supportedExtensions array');
  if (typeof probe._destroyed !== 'boolean') say('a new SMTPConnection has no boolean _destroyed');
  if (!('_socket' in probe)) say('a new SMTPConnection has no _socket field');
  if (!('options' in probe)) say('a new SMTPConnection has no options field');
  if (typeof (proto._createSendStream as ((...a: unknown[]) => unknown) | undefined)?.length === 'number' && (proto._createSendStream as (...a: unknown[]) => unknown).length !== 1) {
    say('SMTPConnection.prototype._createSendStream no longer takes one callback');
  }
  const parsed = connectionOptionsFromUrl('smtp://u:p@mail.example.com:2525');
  if (parsed.host !== 'mail.example.com' || Number(parsed.port) !== 2525 || parsed.auth?.user !== 'u' || parsed.auth?.pass !== 'p') {
    say('lib/shared parseConnectionUrl no longer reads host, port and credentials from an smtp:// URL');
  }
  return problems;
}
