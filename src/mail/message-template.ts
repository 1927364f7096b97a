import { randomBytes } from 'node:crypto';
import { escapeHtml, fillSlots, singleLine, splitAtSlots, SUBSCRIBER_SLOTS, type SplitTemplate, type SubscriberSlot } from '../render/slots';
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
}

export interface Recipient {
  deliveryId: number;
  email: string;
  /** The name shown in To: and in the greeting (already defaulted). */
  name: string;
  unsubscribeUrl: string;
  openPixelUrl: string;
}

/**
 * One send's message, built once: every header that is the same for all recipients is encoded and folded,
 * the HTML and text are cut at their subscriber slots. `render` then only joins strings and base64-encodes,
 * which is the whole per-subscriber cost (no MIME composition, no template engine).
 */
export class MessageTemplate {
  private readonly fixedHeaders: string;
  private readonly html: SplitTemplate<SubscriberSlot>;
  private readonly text: SplitTemplate<SubscriberSlot>;
  private readonly boundary: string;
  private readonly messageIdPrefix: string;
  private readonly messageIdSuffix: string;
  private dateSecond = -1;
  private dateHeader = '';

  constructor(input: MessageTemplateInput) {
    this.boundary = `----=_tidings_${input.sendId}_${randomBytes(12).toString('hex')}`;
    this.messageIdPrefix = `<tidings.${input.sendId}.`;
    this.messageIdSuffix = `@${input.sendingDomain}>`;
    this.html = splitAtSlots(input.html, SUBSCRIBER_SLOTS);
    this.text = splitAtSlots(input.text, SUBSCRIBER_SLOTS);
    this.fixedHeaders = [
      mailboxHeader('From', input.from.name, input.from.address),
      unstructuredHeader('Subject', input.subject),
      foldHeader('List-Id', [...phraseTokens(input.list.name), `<${input.list.slug}.list-id.${input.sendingDomain}>`]),
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'Precedence: bulk',
      `Feedback-ID: ${input.sendId}:${input.listId}:${input.issueId}:tidings`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative; boundary="${this.boundary}"`,
    ].join('\r\n');
  }

  /** The deterministic Message-ID of a delivery: the same delivery always carries the same one. */
  messageId(deliveryId: number): string {
    return `${this.messageIdPrefix}${deliveryId}${this.messageIdSuffix}`;
  }

  render(recipient: Recipient, now = new Date()): Buffer {
    const values: Record<SubscriberSlot, string> = {
      name: recipient.name,
      unsubscribeUrl: recipient.unsubscribeUrl,
      openPixelUrl: recipient.openPixelUrl,
    };
    const htmlValues: Record<SubscriberSlot, string> = {
      name: escapeHtml(recipient.name),
      unsubscribeUrl: escapeHtml(recipient.unsubscribeUrl),
      openPixelUrl: escapeHtml(recipient.openPixelUrl),
    };
    const head =
      mailboxHeader('To', singleLine(recipient.name), recipient.email) +
      '\r\n' +
      this.date(now) +
      '\r\n' +
      `Message-ID: ${this.messageId(recipient.deliveryId)}` +
      '\r\n' +
      foldHeader('List-Unsubscribe', [`<${recipient.unsubscribeUrl}>`]) +
      '\r\n' +
      this.fixedHeaders;
    const message =
      head +
      `\r\n\r\n--${this.boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      base64Lines(fillSlots(this.text, values)) +
      `\r\n--${this.boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      base64Lines(fillSlots(this.html, htmlValues)) +
      `\r\n--${this.boundary}--\r\n`;
    return Buffer.from(message, 'latin1');
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

/** UTF-8 → base64 in lines of 76 characters (RFC 2045). */
export function base64Lines(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join('\r\n');
}
