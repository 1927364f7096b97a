import { randomBytes } from 'node:crypto';
import { escapeHtml, singleLine, splitAtSlots, SUBSCRIBER_SLOTS, type SubscriberSlot } from '../render/slots';
import { Base64Template } from './base64-template';
import { EightBitTemplate } from './eight-bit-template';
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
  /** base64 (default): every part. 8bit: parts that can travel as UTF-8 do, the others as base64. */
  encoding?: '8bit' | 'base64';
}

const HEAD_END = Buffer.from('\r\n\r\n');
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A finished message as chunks to write in order, without joining them: the same body chunks are shared by
 * every message of a send. MessageTemplate guarantees what SMTP's DATA needs, so the chunks can be written to
 * the server as they are: every line ends with CRLF and is at most 998 bytes, no line starts with a dot (8bit
 * parts are dot-stuffed here; base64 has no dots), and the message ends with CRLF.
 */
export interface PreparedMessage {
  readonly chunks: readonly Buffer[];
  readonly size: number;
  /** A part travels as 8bit: the server must offer 8BITMIME (MAIL FROM … BODY=8BITMIME). */
  readonly eightBit?: boolean;
  /** The same message with every part in base64, for a server without 8BITMIME. */
  readonly sevenBit?: () => PreparedMessage;
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
  private readonly html8: EightBitTemplate<SubscriberSlot> | null;
  private readonly text8: EightBitTemplate<SubscriberSlot> | null;
  private readonly partHeads: Record<'text' | 'html', Record<'base64' | '8bit', Buffer>>;
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
    const html = splitAtSlots(input.html, SUBSCRIBER_SLOTS);
    const text = splitAtSlots(input.text, SUBSCRIBER_SLOTS);
    this.html = new Base64Template(html);
    this.text = new Base64Template(text);
    const eightBit = input.encoding === '8bit';
    this.html8 = eightBit ? EightBitTemplate.build(html, { breakLongLines: true }) : null;
    this.text8 = eightBit ? EightBitTemplate.build(text, { breakLongLines: false }) : null;
    const head = (type: string, encoding: string) =>
      Buffer.from(`--${this.boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`);
    this.partHeads = {
      text: { base64: head('text/plain', 'base64'), '8bit': head('text/plain', '8bit') },
      html: { base64: head('text/html', 'base64'), '8bit': head('text/html', '8bit') },
    };
    this.closing = Buffer.from(`--${this.boundary}--\r\n`);
    this.fixedHeaders = [
      mailboxHeader('From', input.from.name, input.from.address),
      unstructuredHeader('Subject', input.subject),
      foldHeader('List-Id', [...phraseTokens(input.list.name), `<${input.list.slug}.list-id.${input.sendingDomain}>`]),
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'Precedence: bulk',
      // Campaign:customer:type:sender, as Gmail's postmaster tools read it; the sender is the From domain.
      `Feedback-ID: ${input.sendId}:${input.listId}:${input.issueId}:${input.sendingDomain}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative;\r\n boundary="${this.boundary}"`,
    ].join('\r\n');
    // Personal values are single-line in the headers and base64 or checked 8bit in the body; these are the fixed parts.
    assertDataSafe(this.fixedHeaders, 'the headers');
  }

  /** The deterministic Message-ID of a delivery: the same delivery always carries the same one. */
  messageId(deliveryId: number): string {
    return `${this.messageIdPrefix}${deliveryId}${this.messageIdSuffix}`;
  }

  /** The message for one recipient, in one buffer (as the recipient gets it, without SMTP's dot-stuffing). */
  render(recipient: Recipient, now = new Date()): Buffer {
    return joinMessage(this.build(recipient, now, true).plain);
  }

  /** The message for one recipient as chunks for SMTP's DATA (see PreparedMessage): what the workers send. */
  prepare(recipient: Recipient, now = new Date()): PreparedMessage {
    const { wire, eightBit } = this.build(recipient, now, true);
    if (!eightBit) return wire;
    return { ...wire, eightBit: true, sevenBit: () => this.build(recipient, now, false).wire };
  }

  private build(recipient: Recipient, now: Date, allowEightBit: boolean): { plain: PreparedMessage; wire: PreparedMessage; eightBit: boolean } {
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
    // Each part as 8bit when it can be, else base64 (which has no dots, so its plain and wire forms are the
    // same chunks): plain for DKIM and files, wire for DATA.
    const text8 = allowEightBit ? this.text8?.render(textValues) : null;
    const html8 = allowEightBit ? this.html8?.render(htmlValues) : null;
    const text = text8 ?? { plain: this.text.render(textValues), wire: undefined };
    const html = html8 ?? { plain: this.html.render(htmlValues), wire: undefined };
    const textHead = this.partHeads.text[text8 ? '8bit' : 'base64'];
    const htmlHead = this.partHeads.html[html8 ? '8bit' : 'base64'];
    const plainBody = [textHead, ...text.plain, htmlHead, ...html.plain, this.closing];
    const stuffed = (text.wire && text.wire !== text.plain) || (html.wire && html.wire !== html.plain);
    const wireBody = stuffed ? [textHead, ...(text.wire ?? text.plain), htmlHead, ...(html.wire ?? html.plain), this.closing] : plainBody;
    const signature = this.dkim ? this.dkim.sign(head, plainBody) + '\r\n' : '';
    // Headers are ASCII (latin1 is the cheapest encoder for them), except an internationalised address in To: UTF-8 (RFC 6532).
    const headChunk = Buffer.from(signature + head, NON_ASCII.test(recipient.email) ? 'utf8' : 'latin1');
    const message = (body: Buffer[]): PreparedMessage => {
      const chunks = [headChunk, HEAD_END, ...body];
      let size = 0;
      for (const chunk of chunks) size += chunk.length;
      return { chunks, size };
    };
    const plain = message(plainBody);
    return { plain, wire: stuffed ? message(wireBody) : plain, eightBit: Boolean(text8 || html8) };
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
