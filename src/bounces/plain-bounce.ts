import type { ParsedMail } from 'mailparser';

/**
 * Bounces written for people rather than programs: Postfix's and Exim's notices, qmail's "failure notice",
 * Sendmail's transcript, Courier, Exchange/Office 365 NDRs, Gmail, Yahoo, mail.ru, GMX, the Japanese carriers…
 * They all say, in some words, which recipient failed and (mostly) what the remote server replied. Rather than a
 * parser per server, this reads what they share: the failed recipient after a failure phrase (or in
 * X-Failed-Recipients, `RCPT TO:<…>`, a `<address>:` line), and the SMTP reply after it.
 */
export interface PlainBounce {
  email: string;
  /** The remote server's reply (code and text), or the words that explain the failure. */
  diagnostic?: string;
}

const ADDRESS = /[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+/gu;

const DAEMON_LOCAL = /^(?:mailer[-_]?daemon|postmaster|mail[-_]?daemon|mdaemon|mail[-_]?delivery|maildelivery|bounces?|nobody|root|double-bounce|mail-?admin|administrator|system)(?:[+-].*)?$/i;
const DAEMON_NAME = /mail delivery (?:system|subsystem|service)|courier mail server|mailer[- ]daemon|postmaster|mail administrator|system administrator|microsoft outlook|mail delivery|delivery status|メール配信|mail system/i;
const BOUNCE_SUBJECT =
  /undeliver|returned mail|mail delivery status|returned to sender|delivery (?:status notification \(failure\)|failure|failed|has failed|notification|error|problem)|failure notice|mail delivery failed|could not be delivered|not (?:be )?delivered|non[- ]?deliver|unzustellbar|nicht zugestellt|zustellung fehlgeschlagen|mail system error|message not delivered|fallo en la entrega|non recapitabile|échec de (?:la )?remise|не доставлено|недоставленное|返送|不達|未送達|送信できません|配信(?:失敗|エラー)|mail returned|rejected|returning message|error sending/i;

/** Phrases after which the failed recipient is named. */
const FAILURE_MARKERS =
  /following (?:recipients?|address(?:es)?)|failed recipients?|permanent(?:ly)? (?:fatal )?(?:errors?|failed)|could not be delivered to|couldn't be delivered to|wasn't delivered to|was not delivered to|not be delivered to|delivery (?:to|has failed to)|failed to deliver to|unable to deliver (?:your message )?to|undeliverable to|recipient address|addressed to|recipients? or groups|delivery failed|не (?:было )?доставлено|konnte nicht zugestellt|送信先|宛先/gi;

/** Where the copy of the returned message starts (addresses past it belong to the original, not the failure). */
const RETURNED_COPY =
  /^[ \t]*(?:-{2,}.*(?:original message|returned message|copy of (?:the |your )?message|message (?:headers )?follow|below this line|header of the original|undelivered message|included message|message text).*|original message headers:?|this is a copy of the message.*|[-=]+ ?(?:Original|Returned) message ?[-=]+.*|Content-Type: message\/rfc822.*)$/im;

const REPLY = /(?:^|[\s'"(:;])([45]\d\d)(?:[ -]+|\s*#?\s*)(?:(?:#?[245]\.\d{1,3}\.\d{1,3})\b[^\n]*|[A-Za-z<][^\n]*)/m;

/** The first address in a header value or a line. */
export function firstAddress(text: string | undefined): string | undefined {
  return text ? [...text.matchAll(ADDRESS)][0]?.[0] : undefined;
}

/** Whether the message comes from a mail system (a daemon, or a subject that says a message failed). */
export function looksLikeBounce(mail: ParsedMail): boolean {
  const from = mail.from?.value[0];
  const local = from?.address?.split('@')[0] ?? '';
  const byDaemon = DAEMON_LOCAL.test(local) || DAEMON_NAME.test(from?.name ?? '');
  // The null reverse-path (`Return-Path: <>`) is what a mail system sends a bounce from (RFC 5321 §4.5.5).
  const nullSender = mail.headerLines.some((h) => h.key === 'return-path' && /^return-path:\s*<\s*>\s*$/i.test(h.line));
  return BOUNCE_SUBJECT.test(mail.subject ?? '') || byDaemon || nullSender || mail.headers.has('x-failed-recipients');
}

/** The notification's own text: everything before the returned copy. */
export function notificationText(text: string): string {
  const normalised = text.replace(/\r\n/g, '\n');
  const copy = RETURNED_COPY.exec(normalised);
  return copy ? normalised.slice(0, copy.index) : normalised;
}

export function readPlainBounce(mail: ParsedMail, fullText: string, exclude: ReadonlySet<string>): PlainBounce[] {
  const text = notificationText(fullText);
  const excluded = (a: string) => exclude.has(a.toLowerCase()) || DAEMON_LOCAL.test(a.split('@')[0]);
  const failed = String(mail.headers.get('x-failed-recipients') ?? '');
  const listed = [...failed.matchAll(ADDRESS)].map((m) => m[0]).filter((a) => !excluded(a));
  if (listed.length) return listed.map((email) => ({ email, diagnostic: diagnosticFor(text, email) }));

  const found = findRecipient(text, excluded);
  if (!found) return [];
  return [{ email: found, diagnostic: diagnosticFor(text, found) }];
}

function findRecipient(text: string, excluded: (a: string) => boolean): string | undefined {
  const rcpt = /RCPT TO:\s*<([^>\s]+)>/i.exec(text)?.[1];
  if (rcpt && !excluded(rcpt)) return rcpt;
  // Postfix, qmail, Yahoo: the recipient alone at the start of a line, in angle brackets, followed by a colon.
  for (const match of text.matchAll(/^[ \t]*<([^<>\s]+@[^<>\s]+)>:?/gm)) if (!excluded(match[1])) return match[1];
  // After a failure phrase: the first address that is not ours or a daemon's.
  for (const marker of text.matchAll(FAILURE_MARKERS)) {
    for (const match of text.slice(marker.index!, marker.index! + 800).matchAll(ADDRESS)) if (!excluded(match[0])) return match[0];
  }
  for (const match of text.matchAll(ADDRESS)) if (!excluded(match[0])) return match[0];
  return undefined;
}

/** The SMTP reply after the recipient's first mention (with its continuation lines), or the words around it. */
function diagnosticFor(text: string, email: string): string | undefined {
  const at = Math.max(0, text.toLowerCase().indexOf(email.toLowerCase()));
  const after = text.slice(at);
  const inAfter = REPLY.exec(after);
  const reply = inAfter ?? REPLY.exec(text);
  if (reply) {
    const start = (inAfter ? at : 0) + reply.index + reply[0].indexOf(reply[1]);
    const lines = text.slice(start).split('\n');
    const out = [lines[0].trim()];
    for (const line of lines.slice(1, 6)) {
      if (!/^[ \t]+\S/.test(line) || /^\s*(?:[<(]?[^\s@]+@|host |remote |giving up)/i.test(line)) break;
      out.push(line.trim());
    }
    return clean(out.join(' '));
  }
  const words = after.slice(email.length, email.length + 600).split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 4).join(' ');
  return clean(words || text.slice(0, 600));
}

const clean = (s: string) => s.replace(/^[>:'"\s]+|['"\s]+$/g, '').replace(/\s+/g, ' ').slice(0, 1000) || undefined;
