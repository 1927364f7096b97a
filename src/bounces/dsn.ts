import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';
import { classifyBounce, enhancedStatus } from './classify';
import { bracketed, type BounceReport } from './report';

/**
 * Inbound report messages: RFC 3464 delivery status notifications (multipart/report; report-type=delivery-status)
 * and RFC 5965 ARF complaints (report-type=feedback-report), parsed on mailparser. One message gives a report per
 * recipient. Auto-replies, `Action: delayed`, `delivered`, `relayed` and `expanded` are not bounces: they come
 * back as kind `ignore` with a reason, so an operator can see why nothing happened.
 */
export interface ParsedReportMessage {
  type: 'dsn' | 'arf' | 'auto_reply' | 'unknown';
  /** The report message's own Message-ID: the event id that makes ingesting a file twice harmless. */
  messageId?: string;
  reports: BounceReport[];
  /** Why a message produced no bounce (auto-reply, delayed, not a report). */
  note?: string;
}

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
function addressField(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const address = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  return address.trim().replace(/^<|>$/g, '') || undefined;
}

function partText(part: Attachment): string {
  return part.content.toString('utf8');
}

function findPart(mail: ParsedMail, types: string[]): Attachment | undefined {
  return mail.attachments.find((a) => types.includes(a.contentType.toLowerCase()));
}

/** The Message-ID of the returned original, from its headers part (message/rfc822 or text/rfc822-headers). */
function originalMessageId(mail: ParsedMail): string | undefined {
  const part = findPart(mail, ['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers']);
  if (!part) return undefined;
  const head = partText(part).replace(/\r\n/g, '\n').split('\n\n')[0];
  const fields = parseFieldGroups(head)[0];
  return bracketed(fields?.get('message-id'));
}

export function isAutoReply(mail: ParsedMail): boolean {
  const header = (name: string) => String(mail.headers.get(name) ?? '').toLowerCase();
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || mail.headers.has('x-autoresponder')) return true;
  if (['auto_reply', 'auto-reply'].includes(header('precedence'))) return true;
  return /^(auto(matic)?[ -]?reply|out of (the )?office|autoreply|vacation)\b/i.test(mail.subject ?? '');
}

export async function parseReportMessage(raw: Buffer | string): Promise<ParsedReportMessage> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepDeliveryStatus: true });
  const messageId = bracketed(mail.messageId);
  const status = findPart(mail, ['message/delivery-status', 'message/global-delivery-status']);
  const feedback = findPart(mail, ['message/feedback-report']);
  if (feedback) return { type: 'arf', messageId, reports: parseArf(mail, partText(feedback), messageId) };
  if (status) {
    const reports = parseDsn(mail, partText(status), messageId);
    const counted = reports.filter((r) => r.kind !== 'ignore');
    return { type: 'dsn', messageId, reports, note: counted.length ? undefined : 'no failed recipient (delayed, delivered or relayed only)' };
  }
  if (isAutoReply(mail)) return { type: 'auto_reply', messageId, reports: [], note: 'auto-reply, not a bounce' };
  return { type: 'unknown', messageId, reports: [], note: 'not a delivery status notification or feedback report' };
}

function parseDsn(mail: ParsedMail, text: string, messageId: string | undefined): BounceReport[] {
  const [, ...recipients] = parseFieldGroups(text);
  const original = originalMessageId(mail);
  return recipients.flatMap((fields, index): BounceReport[] => {
    const email = addressField(fields.get('final-recipient')) ?? addressField(fields.get('original-recipient'));
    if (!email) return [];
    const action = (fields.get('action') ?? '').toLowerCase();
    const status = enhancedStatus(fields.get('status'));
    const diagnostic = fields.get('diagnostic-code')?.replace(/^smtp;\s*/i, '');
    // Only `failed` is a bounce; delayed means the server is still trying, the others mean it went through.
    const kind = action === 'failed' ? classifyBounce({ status, diagnostic }) : 'ignore';
    return [
      {
        source: 'dsn',
        eventId: messageId ? `${messageId}#${index}` : undefined,
        kind,
        email,
        messageId: original,
        status,
        diagnostic,
        occurredAt: mail.date,
        details: { action, reportingMta: groupsValue(text, 'reporting-mta') },
      },
    ];
  });
}

function groupsValue(text: string, field: string): string | undefined {
  return parseFieldGroups(text)[0]?.get(field);
}

function parseArf(mail: ParsedMail, text: string, messageId: string | undefined): BounceReport[] {
  const fields = parseFieldGroups(text)[0] ?? new Map<string, string>();
  const feedbackType = (fields.get('feedback-type') ?? 'abuse').toLowerCase();
  const originalRcpt = addressField(fields.get('original-rcpt-to'));
  const originalHeaders = findPart(mail, ['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers']);
  const originalTo = originalHeaders ? parseFieldGroups(partText(originalHeaders).replace(/\r\n/g, '\n').split('\n\n')[0])[0]?.get('to') : undefined;
  const email = originalRcpt ?? (originalTo ? /<?([^\s<>@,]+@[^\s<>,]+?)>?\s*$/.exec(originalTo)?.[1] : undefined);
  if (!email) return [];
  // abuse, fraud and virus reports are complaints; not-spam and other report types are not.
  const kind = ['abuse', 'fraud', 'virus'].includes(feedbackType) ? 'complaint' : 'ignore';
  return [
    {
      source: 'arf',
      eventId: messageId,
      kind,
      email,
      messageId: originalMessageId(mail),
      occurredAt: fields.get('arrival-date') ? new Date(fields.get('arrival-date')!) : mail.date,
      details: { feedbackType, userAgent: fields.get('user-agent'), reportingMta: fields.get('reporting-mta') },
    },
  ];
}
