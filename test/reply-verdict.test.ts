import { describe, expect, it } from 'vitest';
import { parseReportMessage } from '../src/bounces/report-message';
import { sesReports } from '../src/bounces/providers/ses';
import { classifySmtpError } from '../src/mail/mailer';
import { failedDsn } from './report-messages';
import { CODE_RULES, TEXT_RULES, classifyReply, type ReplyVerdict } from '../src/mail/reply-verdict';

/**
 * One reply, three paths: refused during our SMTP conversation, written in a DSN's Diagnostic-Code, and sent by a
 * provider webhook (SES). `conversation` is what the worker does with it (a 4xx is retried: temporary or
 * throttled); `report` is what a bounce report carrying it means (final: the reporting server gave up).
 * For every 5xx the two are the same verdict.
 */
const TABLE: Array<[reply: string, conversation: ReplyVerdict, report: 'hard' | 'soft' | 'policy']> = [
  ['550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual mailbox table', 'hard', 'hard'],
  ['550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient', 'hard', 'hard'],
  ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'hard', 'hard'],
  ['550 5.1.2 Host or domain name not found', 'hard', 'hard'],
  ['553 5.1.3 Bad recipient address syntax', 'hard', 'hard'],
  ['551 5.1.6 Recipient no longer on server', 'hard', 'hard'],
  ['556 5.1.10 Recipient address has null MX', 'hard', 'hard'],
  ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', 'hard', 'hard'],
  ['550 5.4.310 DNS domain example.invalid does not exist', 'hard', 'hard'],
  ['550 5.0.0 <a@example.com>: User unknown', 'hard', 'hard'],
  ['550 Requested action not taken: mailbox unavailable', 'hard', 'hard'],
  ['554 delivery error: dd This user doesn\'t have a yahoo.com account (a@yahoo.com) [0]', 'hard', 'hard'],
  ['550 Sorry, no mailbox here by that name. (#5.1.1)', 'hard', 'hard'],
  ['550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302)', 'hard', 'hard'],
  ['552 5.2.2 The email account that you tried to reach is over quota', 'soft', 'soft'],
  ['552 5.3.4 Message size exceeds fixed limit', 'soft', 'soft'],
  ['550 5.2.1 The email account that you tried to reach is disabled', 'soft', 'soft'],
  ['552 Requested mail action aborted: exceeded storage allocation', 'soft', 'soft'],
  ['550 5.0.0 Mailbox full', 'soft', 'soft'],
  ['554 5.0.0 Message rejected by the recipient\'s rules', 'soft', 'soft'],
  ['550 This account has been suspended', 'soft', 'soft'],
  ['554 5.4.7 Delivery time expired', 'soft', 'soft'],
  ['554 Transaction failed', 'soft', 'soft'],
  ['550 5.7.1 Message rejected due to local policy', 'policy', 'policy'],
  ['550-5.7.26 Unauthenticated email from lifewithdata.test is not accepted due to domain\'s DMARC policy', 'policy', 'policy'],
  ['554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org', 'policy', 'policy'],
  ['554 5.7.1 <a@example.com>: Relay access denied', 'policy', 'policy'],
  ['550 5.7.1 Recipient address rejected: user unknown', 'policy', 'policy'],
  ['553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.10, because the ip is in Spamhaus\'s list', 'policy', 'policy'],
  ['554 5.7.9 Message not accepted for policy reasons', 'policy', 'policy'],
  ['550 5.7.606 Access denied, banned sending IP [192.0.2.10]', 'policy', 'policy'],
  ['554 5.0.0 Service unavailable; client host blocked using bl.spamcop.net', 'policy', 'policy'],
  ['550 High probability of spam', 'policy', 'policy'],
  ['550 Client host rejected: cannot find your reverse hostname, [192.0.2.10]', 'policy', 'policy'],
  ['554 5.6.0 Message content rejected', 'policy', 'policy'],
  ['535 5.7.8 Authentication credentials invalid', 'policy', 'policy'],
  ['550 5.0.0 Rate limit exceeded for sender', 'policy', 'policy'],
  ['450 4.2.2 Mailbox full, try again later', 'temporary', 'soft'],
  ['452 4.2.2 The email account that you tried to reach is over quota', 'temporary', 'soft'],
  ['451 4.7.1 Greylisting in action, please try again later', 'temporary', 'policy'],
  ['450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages', 'temporary', 'soft'],
  ['451 4.3.0 Quota exceeded, try again later', 'temporary', 'soft'],
  ['450 4.1.1 <a@example.com>: Recipient address rejected: unverified address', 'temporary', 'hard'],
  ['421 4.4.2 Service shutting down, closing transmission channel', 'temporary', 'soft'],
  ['451 4.4.1 No answer from host', 'temporary', 'soft'],
  ['450 4.7.1 Client host rejected: cannot find your hostname', 'temporary', 'policy'],
  ['421 4.7.0 Too many connections from your IP, slow down', 'throttled', 'policy'],
  ['421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address', 'throttled', 'policy'],
  ['454 4.7.0 Too many messages, rate limit exceeded', 'throttled', 'policy'],
  ['451 4.7.650 The mail server has been temporarily rate limited due to IP reputation', 'throttled', 'policy'],
  ['421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints', 'throttled', 'policy'],
  ['452 4.4.5 Insufficient system storage', 'throttled', 'policy'],
];

describe('one reply table for SMTP replies, DSNs and webhooks', () => {
  it('has at least 30 rows', () => expect(TABLE.length).toBeGreaterThanOrEqual(30));

  it.each(TABLE)('%s → %s in the conversation, %s in a report', async (reply, conversation, report) => {
    const code = Number(reply.slice(0, 3));
    const smtp = classifySmtpError({ responseCode: code, response: reply }, 'reader@example.com');
    expect(smtp.verdict).toBe(conversation);
    expect(smtp.permanent).toBe(code >= 500);

    const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1];
    const [dsn] = (await parseReportMessage(failedDsn('reader@example.com', reply))).reports;
    expect(dsn).toMatchObject({ email: 'reader@example.com', kind: report });

    const ses = sesReports(JSON.stringify({
      notificationType: 'Bounce',
      bounce: { bounceType: 'Undetermined', bouncedRecipients: [{ emailAddress: 'reader@example.com', status, diagnosticCode: `smtp; ${reply}` }] },
    }), 'sns').bounces;
    expect(ses[0].kind).toBe(report);

    // The same rule is found whichever way the reply arrives.
    expect(classifyReply({ status, text: reply }, { final: true }).rule.name).toBe(smtp.classification.rule.name);
    if (code >= 500) expect(report).toBe(conversation);
  });

  it('a dropped connection is temporary, whatever its message says', () => {
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'Mailbox full: too many connections' }, 'a@b.c').verdict).toBe('temporary');
  });

  it('every rule example in the table reads as its own rule', () => {
    for (const rule of TEXT_RULES) expect(classifyReply({ text: rule.example }, { final: true }).rule.name, rule.example).toBe(rule.name);
    for (const rule of CODE_RULES) expect(classifyReply({ text: rule.example }, { final: true }).rule.name, rule.example).toBe(rule.name);
  });
});

describe('the README lists the table', () => {
  it('names every rule', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Bounce classification'));
    for (const rule of [...CODE_RULES, ...TEXT_RULES]) expect(section, rule.name).toContain(`\`${rule.name}\``);
  });
});
