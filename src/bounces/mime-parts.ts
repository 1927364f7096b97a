import type { Attachment, ParsedMail } from 'mailparser';
import { bracketed } from './report';

/** Header-style fields (`Name: value`, folded lines joined) in blank-line separated groups. */
export function parseFieldGroups(text: string): Array<Map<string, string>> {
  const groups: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (current.size) groups.push(current);
      current = new Map();
      last = undefined;
    } else if (/^[ \t]/.test(line) && last) {
      current.set(last, `${current.get(last)} ${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      current.set(last, current.has(last) ? `${current.get(last)}, ${value}` : value);
    }
  }
  if (current.size) groups.push(current);
  return groups;
}

/** `rfc822; user@example.com` → `user@example.com`. */
export function addressField(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const address = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  return address.trim().replace(/^<|>$/g, '') || undefined;
}

export function partText(part: Attachment): string {
  return part.content.toString('utf8');
}

export function findPart(mail: ParsedMail, types: string[]): Attachment | undefined {
  return mail.attachments.find((a) => types.includes(a.contentType.toLowerCase()));
}

const ORIGINAL_TYPES = ['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global', 'message/global-headers'];

/** The header fields of the returned original (message/rfc822 or text/rfc822-headers part), if there is one. */
export function originalHeaders(mail: ParsedMail): Map<string, string> | undefined {
  const part = findPart(mail, ORIGINAL_TYPES);
  if (!part) return undefined;
  const head = partText(part).replace(/\r\n/g, '\n').split('\n\n')[0];
  return parseFieldGroups(head)[0];
}

const TIDINGS_MESSAGE_ID = /<tidings\.\d+\.\d+@[^>\s]+>/;

/**
 * The Message-ID of the email that bounced: from the returned original's headers, else a Tidings Message-ID
 * anywhere in the message (plain-text bounces quote the original's headers inline).
 */
export function originalMessageId(mail: ParsedMail, raw: string): string | undefined {
  const fromPart = bracketed(originalHeaders(mail)?.get('message-id'));
  if (fromPart) return fromPart;
  return TIDINGS_MESSAGE_ID.exec(raw)?.[0];
}
