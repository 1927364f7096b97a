import { simpleParser, type ParsedMail } from 'mailparser';
import { looksLikeFeedbackLoop, parseArf, parseFeedbackLoop } from './arf';
import { classifyBounce } from './classify';
import { parseDsn } from './dsn';
import { findPart, originalMessageId, partText } from './mime-parts';
import { isAutoReply, isChallenge, isDelayWarning } from './non-bounce';
import { looksLikeBounce, notificationText, readPlainBounce } from './plain-bounce';
import { sesReports } from './providers/ses';
import { bracketed, type BounceReport } from './report';

/**
 * What came back to the bounce address, read into reports. In this order: an RFC 3464 report or an RFC 5965
 * feedback report (by their MIME parts); an SES notification sent by email; a non-MIME feedback-loop message;
 * then what is no bounce (a delay warning, a challenge to prove we are human, an auto-reply) before the
 * plain-text bounces of the mail servers that write for people. Anything else is `unknown`, reported with its
 * first lines so an operator can look at it (and send it in as a new fixture).
 */
export type ReportMessageType = 'dsn' | 'arf' | 'bounce' | 'fbl' | 'ses' | 'delayed' | 'challenge' | 'auto_reply' | 'unknown';

export interface ParsedReportMessage {
  type: ReportMessageType;
  /** The report message's own Message-ID: the event id that makes reading it twice harmless. */
  messageId?: string;
  reports: BounceReport[];
  /** Why a message produced no bounce (auto-reply, delayed, not a report). */
  note?: string;
  /** The first lines of an unrecognised message: subject, sender and the start of its text. */
  firstLines?: string[];
}

export interface ParseOptions {
  /** Addresses that are ours (the bounce address, the sender): never taken for the failed recipient. */
  ownAddresses?: readonly string[];
}

export async function parseReportMessage(raw: Buffer | string, options: ParseOptions = {}): Promise<ParsedReportMessage> {
  const mail = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true, keepDeliveryStatus: true });
  const rawText = typeof raw === 'string' ? raw : raw.toString('utf8');
  const messageId = bracketed(mail.messageId);
  const original = originalMessageId(mail, rawText);
  const text = bodyText(mail);

  const feedback = findPart(mail, ['message/feedback-report']);
  if (feedback) return { type: 'arf', messageId, reports: parseArf(mail, partText(feedback), messageId, original) };
  const status = findPart(mail, ['message/delivery-status', 'message/global-delivery-status']);
  if (status) {
    const reports = parseDsn(mail, partText(status), messageId, original);
    if (reports.length) {
      const counted = reports.filter((r) => r.kind !== 'ignore');
      return { type: 'dsn', messageId, reports, note: counted.length ? undefined : 'no failed recipient (delayed, delivered, relayed or expanded only)' };
    }
  }
  const ses = sesNotification(text, messageId);
  if (ses) return { type: 'ses', messageId, reports: ses };
  if (looksLikeFeedbackLoop(mail, text)) {
    const reports = parseFeedbackLoop(mail, text, messageId, original);
    if (reports.length) return { type: 'fbl', messageId, reports };
  }
  const notice = notificationText(text);
  if (isChallenge(mail, notice)) return { type: 'challenge', messageId, reports: [], note: 'a challenge-response request, not a bounce' };
  if (looksLikeBounce(mail) && isDelayWarning(mail, notice)) return { type: 'delayed', messageId, reports: [], note: 'a delay warning: the server is still trying' };
  if (looksLikeBounce(mail)) {
    const own = new Set([...(options.ownAddresses ?? []), ...addresses(mail)].map((a) => a.toLowerCase()));
    const found = readPlainBounce(mail, text, own);
    if (found.length) {
      const reports = found.map((b, index): BounceReport => ({
        source: 'bounce',
        eventId: messageId ? `${messageId}#${index}` : undefined,
        kind: classifyBounce({ diagnostic: b.diagnostic }),
        email: b.email,
        messageId: original,
        diagnostic: b.diagnostic,
        status: classifyStatus(b.diagnostic),
        occurredAt: mail.date,
        details: { subject: mail.subject?.slice(0, 200) },
      }));
      return { type: 'bounce', messageId, reports };
    }
  }
  if (isAutoReply(mail)) return { type: 'auto_reply', messageId, reports: [], note: 'an auto-reply, not a bounce' };
  return { type: 'unknown', messageId, reports: [], note: 'not a bounce, a feedback report or an auto-reply that Tidings knows', firstLines: firstLines(mail, text) };
}

function classifyStatus(diagnostic: string | undefined): string | undefined {
  const match = diagnostic ? /(?:^|[\s(#])([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(diagnostic) : null;
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : undefined;
}

/** The readable text of a message: its text part, else its HTML as text, plus inline text attachments. */
function bodyText(mail: ParsedMail): string {
  const extra = mail.attachments
    .filter((a) => a.contentType.toLowerCase() === 'text/plain' && a.contentDisposition !== 'attachment')
    .map(partText);
  const main = mail.text ?? (typeof mail.html === 'string' ? mail.html.replace(/<[^>]+>/g, ' ') : '');
  return [main, ...extra].join('\n');
}

/** The report's own sender and recipients: never the failed recipient. */
function addresses(mail: ParsedMail): string[] {
  const list = (v: ParsedMail['to']) => (Array.isArray(v) ? v : v ? [v] : []).flatMap((a) => a.value.map((x) => x.address ?? ''));
  return [...list(mail.from), ...list(mail.to), ...list(mail.cc), ...list(mail.replyTo)].filter(Boolean);
}

function sesNotification(text: string, messageId: string | undefined): BounceReport[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !/"notificationType"|"eventType"/.test(trimmed)) return undefined;
  try {
    const { bounces } = sesReports(trimmed, messageId ?? 'email');
    return bounces.length ? bounces : undefined;
  } catch {
    return undefined;
  }
}

function firstLines(mail: ParsedMail, text: string): string[] {
  const head = [`From: ${mail.from?.text ?? ''}`, `Subject: ${mail.subject ?? ''}`];
  return [...head, ...text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(0, 8)].map((l) => l.slice(0, 200));
}
