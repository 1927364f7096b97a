import { randomBytes } from 'node:crypto';
import { escapeHtml, singleLine, splitAtSlots, SUBSCRIBER_SLOTS, type SubscriberSlot } from '../render/slots';
import { Base64Template } from './base64-template';
import type { DkimSigner } from './dkim';
import { foldHeader, mailboxHeader, phraseTokens, rfc5322Date, unstructuredHeader } from './headers';

export interface MessageTemplateInput {
  sendId: number;
  listId: number;
  issueId: number;
  from: { name: string; address: string };
  subject: string;
  list: { name: string; slug: string };
  /** The domain Message-IDs and the List-Id are built on. */
  sendingDomain: string;
  /** Compiled HTML and text with send-level slots already filled; subscriber slots still present. */
  html: string;
  text: string;
  /** A bare address: List-Unsubscribe also offers `mailto:` it, with the unsubscribe token as the subject. */
  unsubscribeMailto?: string;
  /** Signs every message (DKIM) when given. */
  dkim?: DkimSigner;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * A finished message as chunks to write in order, without joining them: the same body chunks are shared by
 * every message of a send. MessageTemplate guarantees what SMTP's DATA needs, so the chunks can be written to
 * the server as they are: every line ends with CRLF, no line starts with a dot, and the message ends with CRLF.
 */
export interface PreparedMessage {
  readonly chunks: readonly Buffer[];
  readonly size: number;
}

/** The whole message in one buffer (for files, parsers and tests). */
export const joinMessage = (message: PreparedMessage): Buffer => Buffer.concat(message.chunks as Buffer[], message.size);

/** Fails when a fixed part of a message would break the DATA guarantees of PreparedMessage. */
function assertDataSafe(part: string, what: string): void {
  if (/\r(?!\n)|(?<!\r)\n|\n\./.test(part)) throw new Error(`message template: ${what} has a bare CR or LF, or a line starting with a dot`);
}

export interface Recipient {
  deliveryId: number;
  email: string;
  /** The name shown in To: and in the greeting (already defaulted). */
  name: string;
  unsubscribeUrl: string;
  openPixelUrl: string;
  /** `<PUBLIC_URL>/c/<token>`: a tracked link is this plus `/<linkId>` (not needed when tracking is off). */
  clickBase?: string;
}

/**
 * One send's message, built once: every header that is the same for all recipients is encoded and folded,
 * and the text and HTML parts are base64-encoded around their subscriber slots. `render` then encodes a few
 * personal headers and the slot values and concatenates buffers: no MIME composition, no template engine,
 * no re-encoding of the body per subscriber.
 */
export class MessageTemplate {
  private readonly fixedHeaders: string;
  private readonly html: Base64Template<SubscriberSlot>;
  private readonly text: Base64Template<SubscriberSlot>;
  private readonly textPartHead: Buffer;
  private readonly htmlPartHead: Buffer;
  private readonly closing: Buffer;
  private readonly boundary: string;
  private readonly messageIdPrefix: string;
  private readonly messageIdSuffix: string;
  private readonly unsubscribeMailto: string | undefined;
  private readonly dkim: DkimSigner | undefined;
  private dateSecond = -1;
  private dateHeader = '';

  constructor(input: MessageTemplateInput) {
    this.boundary = `----=_tidings_${input.sendId}_${randomBytes(12).toString('hex')}`;
    this.messageIdPrefix = `<tidings.${input.sendId}.`;
    this.messageIdSuffix = `@${input.sendingDomain}>`;
    this.unsubscribeMailto = input.unsubscribeMailto;
    this.dkim = input.dkim;
    this.html = new Base64Template(splitAtSlots(input.html, SUBSCRIBER_SLOTS));
    this.text = new Base64Template(splitAtSlots(input.text, SUBSCRIBER_SLOTS));
    this.textPartHead = Buffer.from(`--${this.boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`);
    this.htmlPartHead = Buffer.from(`--${this.boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`);
    this.closing = Buffer.from(`--${this.boundary}--\r\n`);
    this.fixedHeaders = [
      mailboxHeader('From', input.from.name, input.from.address),
      unstructuredHeader('Subject', input.subject),
      foldHeader('List-Id', [...phraseTokens(input.list.name), `<${input.list.slug}.list-id.${input.sendingDomain}>`]),
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'Precedence: bulk',
      `Feedback-ID: ${input.sendId}:${input.listId}:${input.issueId}:tidings`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative;\r\n boundary="${this.boundary}"`,
    ].join('\r\n');
    // Personal values are base64 in the body and single-line in the headers; these are the fixed parts.
    assertDataSafe(this.fixedHeaders, 'the headers');
  }

  /** The deterministic Message-ID of a delivery: the same delivery always carries the same one. */
  messageId(deliveryId: number): string {
    return `${this.messageIdPrefix}${deliveryId}${this.messageIdSuffix}`;
  }

  /** The message for one recipient, in one buffer. */
  render(recipient: Recipient, now = new Date()): Buffer {
    return joinMessage(this.prepare(recipient, now));
  }

  /** The message for one recipient as chunks (see PreparedMessage): what the workers send. */
  prepare(recipient: Recipient, now = new Date()): PreparedMessage {
    const textValues: Record<SubscriberSlot, Buffer> = {
      name: Buffer.from(recipient.name),
      unsubscribeUrl: Buffer.from(recipient.unsubscribeUrl),
      openPixelUrl: Buffer.from(recipient.openPixelUrl),
      clickBase: Buffer.from(recipient.clickBase ?? ''),
    };
    const htmlValues: Record<SubscriberSlot, Buffer> = {
      name: Buffer.from(escapeHtml(recipient.name)),
      unsubscribeUrl: Buffer.from(escapeHtml(recipient.unsubscribeUrl)),
      openPixelUrl: Buffer.from(escapeHtml(recipient.openPixelUrl)),
      clickBase: Buffer.from(escapeHtml(recipient.clickBase ?? '')),
    };
    const head =
      mailboxHeader('To', singleLine(recipient.name), recipient.email) +
      '\r\n' +
      this.date(now) +
      '\r\n' +
      `Message-ID: ${this.messageId(recipient.deliveryId)}` +
      '\r\n' +
      foldHeader('List-Unsubscribe', this.unsubscribeTargets(recipient.unsubscribeUrl)) +
      '\r\n' +
      this.fixedHeaders;
    const body = [this.textPartHead, ...this.text.render(textValues), this.htmlPartHead, ...this.html.render(htmlValues), this.closing];
    const signature = this.dkim ? this.dkim.sign(head, body) + '\r\n' : '';
    const chunks = [Buffer.from(signature + head, 'latin1'), HEAD_END, ...body];
    let size = 0;
    for (const chunk of chunks) size += chunk.length;
    return { chunks, size };
  }

  /** `<https://…/unsubscribe/TOKEN>`, then `<mailto:…?subject=unsubscribe-TOKEN>` when configured (RFC 2369). */
  private unsubscribeTargets(url: string): string[] {
    if (!this.unsubscribeMailto) return [`<${url}>`];
    const token = url.slice(url.lastIndexOf('/') + 1);
    return [`<${url}>,`, `<mailto:${this.unsubscribeMailto}?subject=unsubscribe-${token}>`];
  }

  private date(now: Date): string {
    const second = Math.floor(now.getTime() / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.dateHeader = `Date: ${rfc5322Date(now)}`;
    }
    return this.dateHeader;
  }
}
