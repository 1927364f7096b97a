import type { ParsedMail } from 'mailparser';
import { addressField, originalHeaders, parseFieldGroups } from './mime-parts';
import { firstAddress } from './plain-bounce';
import type { BounceKind } from './classify';
import type { BounceReport } from './report';

/**
 * Feedback reports: RFC 5965 ARF (`message/feedback-report`) and the non-MIME feedback-loop messages some large
 * mailbox providers send (Microsoft's JMRP/SNDS style with the original attached and
 * `X-HmXmrOriginalRecipient`, plain-text reports carrying ARF fields in the body).
 *
 * Feedback types: abuse, fraud, virus → complaint (suppressed on every list); opt-out (and the older
 * `unsubscribe`) → the reader leaves the list, no complaint; auth-failure → the sender's problem (a policy
 * signal for the operator, nobody suppressed); not-spam and other → nothing.
 */
const KINDS: Record<string, BounceKind> = {
  abuse: 'complaint',
  fraud: 'complaint',
  virus: 'complaint',
  'opt-out': 'unsubscribe',
  unsubscribe: 'unsubscribe',
  'auth-failure': 'policy',
  dmarc: 'policy',
};

export function feedbackKind(feedbackType: string): BounceKind {
  return KINDS[feedbackType.toLowerCase()] ?? 'ignore';
}

export function parseArf(mail: ParsedMail, fieldsText: string, messageId: string | undefined, original: string | undefined): BounceReport[] {
  const fields = parseFieldGroups(fieldsText)[0] ?? new Map<string, string>();
  const headers = originalHeaders(mail);
  const email =
    addressField(fields.get('original-rcpt-to')) ??
    firstAddress(fields.get('removal-recipient')) ??
    firstAddress(headers?.get('x-hmxmroriginalrecipient')) ??
    firstAddress(headers?.get('to'));
  if (!email) return [];
  const feedbackType = (fields.get('feedback-type') ?? 'abuse').toLowerCase().trim();
  const arrival = fields.get('arrival-date') ?? fields.get('received-date');
  const at = arrival ? new Date(arrival) : undefined;
  return [
    {
      source: 'arf',
      eventId: messageId,
      kind: feedbackKind(feedbackType),
      email,
      messageId: original,
      diagnostic: feedbackType === 'auth-failure' ? `auth-failure: ${fields.get('auth-failure') ?? 'authentication failed'}` : undefined,
      occurredAt: at && !Number.isNaN(at.getTime()) ? at : mail.date,
      details: {
        feedbackType,
        userAgent: fields.get('user-agent'),
        reportingMta: fields.get('reporting-mta'),
        ...(fields.get('source-ip') ? { sourceIp: fields.get('source-ip') } : {}),
      },
    },
  ];
}

const FBL_SENDER = /(?:^|[.@+-])(?:fbl|feedback|feedbackloop|abuse|scomp|complaints?|staff|jmrp|spam-?report)(?:[.@+-]|$)/i;
const FBL_SUBJECT = /complaint|abuse report|spam report|feedback[- ]loop|\bfbl\b|reported as spam|marked as (?:spam|junk)|junk mail report/i;

/** A feedback-loop message without a feedback-report part: from an FBL address or about a complaint, carrying the original. */
export function looksLikeFeedbackLoop(mail: ParsedMail, text: string): boolean {
  const from = mail.from?.value[0]?.address ?? '';
  const fieldsInBody = /^feedback-type:\s*\S+/im.test(text);
  return fieldsInBody || ((FBL_SENDER.test(from) || FBL_SUBJECT.test(mail.subject ?? '')) && (!!originalHeaders(mail) || /^(?:to|x-hmxmroriginalrecipient|original-rcpt-to):/im.test(text)));
}

/** A non-MIME FBL message: ARF fields in the body if any, the recipient from the attached or quoted original. */
export function parseFeedbackLoop(mail: ParsedMail, text: string, messageId: string | undefined, original: string | undefined): BounceReport[] {
  const normalised = text.replace(/\r\n/g, '\n');
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.+)$`, 'im').exec(normalised)?.[1]?.trim();
  const fieldsText = ['Feedback-Type', 'User-Agent', 'Original-Rcpt-To', 'Removal-Recipient', 'Arrival-Date', 'Source-IP']
    .flatMap((name) => (field(name) ? [`${name}: ${field(name)}`] : []))
    .join('\n');
  const reports = parseArf(mail, fieldsText || 'Feedback-Type: abuse', messageId, original);
  if (reports.length) return reports.map((r) => ({ ...r, source: 'fbl' }));
  const quoted = firstAddress(field('X-HmXmrOriginalRecipient')) ?? firstAddress(field('To'));
  if (!quoted) return [];
  return [{ source: 'fbl', eventId: messageId, kind: feedbackKind(field('Feedback-Type') ?? 'abuse'), email: quoted, messageId: original, occurredAt: mail.date, details: { feedbackType: field('Feedback-Type') ?? 'abuse' } }];
}
