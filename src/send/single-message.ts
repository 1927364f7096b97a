import type { Config } from '../config';
import { escapeHtml, fillMarkers, singleLine } from '../render/slots';
import type { Links } from '../security/links';
import { removeOpenPixel } from '../security/tracked-links';
import type { DkimSigner } from '../mail/dkim';
import { buildSendTemplate } from './send-template';

export interface SingleMessageInput {
  config: Config;
  links: Links;
  /** The process's signer (Services.dkim), or undefined when DKIM is not configured. */
  dkim: DkimSigner | undefined;
  issue: { id: number; slug: string; subject: string; html: string; text: string; defaultName: string };
  /** The list named in the footer and List-Id (and whose From it carries); a test message needs no real one. */
  list: { id: number; name: string; slug: string; fromName?: string | null; fromAddress?: string | null };
  recipient: { email: string; name?: string };
  /** Numbers the Message-ID (`<tidings.0.<n>@domain>`: send 0 is "not a send"). */
  messageNumber?: number;
  /** A test message: `[TEST]` starts its subject, so nobody takes it for the real thing. */
  test?: boolean;
}

export const TEST_SUBJECT_PREFIX = '[TEST] ';

export interface SingleMessage {
  /** The whole message as it goes over SMTP. */
  raw: Buffer;
  messageId: string;
  /** The personalised HTML and text parts, exactly as encoded in `raw`. */
  html: string;
  text: string;
}

/**
 * One personalised message outside a send: `tidings send --test` and `tidings preview`. It goes through the
 * same MessageTemplate as the workers (headers, encoding, DKIM), shaped as for a list with tracking off: no
 * open pixel and the links as written, so a test message records no open or click. The unsubscribe link
 * is the general unsubscribe page: a test recipient cannot unsubscribe by clicking around in a test.
 */
export function buildSingleMessage(input: SingleMessageInput): SingleMessage {
  const { config, links, dkim, issue, list } = input;
  const subject = input.test ? TEST_SUBJECT_PREFIX + issue.subject : issue.subject;
  const { template, html, text } = buildSendTemplate({ config, links, dkim, sendId: 0, issue: { ...issue, subject }, list, html: removeOpenPixel(issue.html) });
  const deliveryId = input.messageNumber ?? Date.now();
  const name = singleLine(input.recipient.name ?? '') || issue.defaultName;
  const recipient = { deliveryId, email: input.recipient.email, name, unsubscribeUrl: links.unsubscribeHelp(), openPixelUrl: '', clickBase: '' };
  const raw = template.render(recipient);
  const esc = { name: escapeHtml(name), unsubscribeUrl: escapeHtml(recipient.unsubscribeUrl), openPixelUrl: '', clickBase: '' };
  return {
    raw,
    messageId: template.messageId(deliveryId),
    html: fillMarkers(html, esc),
    text: fillMarkers(text, { name, unsubscribeUrl: recipient.unsubscribeUrl, openPixelUrl: '', clickBase: '' }),
  };
}

/**
 * The list a message outside a send is shaped for: the one the operator named, or a stand-in that names the
 * issue itself in the footer ("You are receiving this because you subscribed to <title>"), never the product.
 */
export function standInList(title: string, slug: 'test' | 'preview'): { id: number; name: string; slug: string; fromName: null; fromAddress: null } {
  return { id: 0, name: title, slug, fromName: null, fromAddress: null };
}
