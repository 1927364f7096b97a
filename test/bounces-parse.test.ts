import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyBounce, enhancedStatus, softStreakSuppresses } from '../src/bounces/classify';
import { parseReportMessage } from '../src/bounces/report-message';
import { deliveryIdFromMessageId } from '../src/bounces/report';
import { mailgunReports } from '../src/bounces/providers/mailgun';
import { postmarkReports } from '../src/bounces/providers/postmark';
import { sendgridReports } from '../src/bounces/providers/sendgrid';
import { sesReports } from '../src/bounces/providers/ses';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/bounces/${name}`, import.meta.url));
const json = (name: string) => JSON.parse(fixture(name).toString('utf8'));

describe('bounce classification', () => {
  it.each([
    [{ status: '5.1.1' }, 'hard'],
    [{ status: '5.1.10' }, 'hard'],
    [{ status: '5.2.2' }, 'soft'],
    [{ status: '4.4.1' }, 'soft'],
    [{ status: '4.2.2', providerKind: 'hard' as const }, 'soft'],
    [{ status: '5.7.26', providerKind: 'hard' as const }, 'policy'],
    [{ diagnostic: '550 5.7.1 rejected by policy' }, 'policy'],
    // Without an enhanced code the text decides.
    [{ diagnostic: '550 no such user' }, 'hard'],
    [{ diagnostic: '550 mailbox unavailable', providerKind: 'soft' as const }, 'hard'],
    [{ status: '5.0.0', providerKind: 'hard' as const }, 'hard'],
    [{ status: '5.0.0', diagnostic: '550 5.0.0 blocked using zen.spamhaus.org', providerKind: 'hard' as const }, 'policy'],
    [{ providerKind: 'hard' as const }, 'hard'],
    [{ providerKind: 'complaint' as const, status: '5.1.1' }, 'complaint'],
    [{ status: '2.0.0' }, 'ignore'],
  ])('%j → %s', (signal, kind) => {
    expect(classifyBounce(signal)).toBe(kind);
  });

  it('finds enhanced codes in SMTP replies and normalises them', () => {
    expect(enhancedStatus('smtp; 550-5.1.1 The email account')).toBe('5.1.1');
    expect(enhancedStatus('5.01.001')).toBe('5.1.1');
    expect(enhancedStatus('550 user unknown')).toBeUndefined();
  });

  it('suppresses a soft streak only at 5 sends spanning 14 days', () => {
    const day = 86_400_000;
    const at = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * day);
    expect(softStreakSuppresses({ sends: 5, firstAt: at(0), lastAt: at(14) })).toBe(true);
    expect(softStreakSuppresses({ sends: 5, firstAt: at(0), lastAt: at(13.9) })).toBe(false);
    expect(softStreakSuppresses({ sends: 4, firstAt: at(0), lastAt: at(30) })).toBe(false);
  });

  it('reads the delivery id from a Tidings Message-ID only', () => {
    expect(deliveryIdFromMessageId('<tidings.3.101@lifewithdata.test>')).toBe(101);
    expect(deliveryIdFromMessageId('tidings.3.101@lifewithdata.test')).toBe(101);
    expect(deliveryIdFromMessageId('<6543a1b2@mx.google.com>')).toBeUndefined();
  });
});

describe('DSN and ARF corpus', () => {
  it.each([
    ['gmail-hard-5.1.1.eml', 'dsn', 'reader.gone@gmail.com', 'hard', '5.1.1', '<tidings.3.101@lifewithdata.test>'],
    ['outlook-hard-5.1.10.eml', 'dsn', 'former.employee@outlook.com', 'hard', '5.1.10', '<tidings.3.102@lifewithdata.test>'],
    ['postfix-hard-5.1.1.eml', 'dsn', 'nobody@mail.example.org', 'hard', '5.1.1', '<tidings.3.103@lifewithdata.test>'],
    ['postfix-mailbox-full-5.2.2.eml', 'dsn', 'full.box@mail.example.org', 'soft', '5.2.2', '<tidings.3.104@lifewithdata.test>'],
    ['gmail-policy-5.7.26.eml', 'dsn', 'strict.reader@gmail.com', 'policy', '5.7.26', '<tidings.3.105@lifewithdata.test>'],
    ['postfix-delayed.eml', 'dsn', 'slow.server@mail.example.net', 'ignore', '4.4.1', '<tidings.3.106@lifewithdata.test>'],
    ['yahoo-arf-complaint.eml', 'arf', 'annoyed.reader@yahoo.com', 'complaint', undefined, '<tidings.3.107@lifewithdata.test>'],
  ])('%s', async (file, type, email, kind, status, messageId) => {
    const parsed = await parseReportMessage(fixture(file));
    expect(parsed.type).toBe(type);
    expect(parsed.messageId).toMatch(/^<.+@.+>$/);
    expect(parsed.reports).toHaveLength(1);
    expect(parsed.reports[0]).toMatchObject({ email, kind, messageId });
    expect(parsed.reports[0].status).toBe(status);
  });

  it('keeps the full diagnostic of a folded Gmail reply', async () => {
    const [report] = (await parseReportMessage(fixture('gmail-hard-5.1.1.eml'))).reports;
    expect(report.diagnostic).toContain('double-checking the recipient');
    expect(report.diagnostic).toContain('NoSuchUser');
  });

  it('does not take a vacation auto-reply for a bounce', async () => {
    const parsed = await parseReportMessage(fixture('vacation-auto-reply.eml'));
    expect(parsed.type).toBe('auto_reply');
    expect(parsed.reports).toEqual([]);
  });

  it('says why a plain message is not a report', async () => {
    const parsed = await parseReportMessage('From: a@b.test\r\nTo: c@d.test\r\nSubject: hello\r\n\r\nhi\r\n');
    expect(parsed).toMatchObject({ type: 'unknown', reports: [] });
  });
});

describe('provider payloads', () => {
  it('SES bounce and complaint notifications', () => {
    const bounce = sesReports(fixture('ses-bounce-permanent.json').toString(), 'sns-1').bounces;
    expect(bounce).toEqual([expect.objectContaining({ email: 'ses.gone@example.com', kind: 'hard', status: '5.1.1', messageId: '<tidings.3.201@lifewithdata.test>', eventId: 'sns-1:ses.gone@example.com' })]);
    const complaint = sesReports(fixture('ses-complaint.json').toString(), 'sns-2').bounces;
    expect(complaint).toEqual([expect.objectContaining({ email: 'ses.annoyed@example.com', kind: 'complaint', messageId: '<tidings.3.202@lifewithdata.test>' })]);
  });

  it('Postmark bounce and complaint, keeping IDs above 2^53 exact', () => {
    const text = fixture('postmark-hard-bounce.json').toString();
    const { bounces } = postmarkReports(JSON.parse(text), text);
    expect(bounces).toEqual([expect.objectContaining({ email: 'postmark.gone@example.com', kind: 'hard', status: '5.1.1', eventId: 'Bounce:4323372036854775807' })]);
    expect(postmarkReports(json('postmark-spam-complaint.json')).bounces[0]).toMatchObject({ kind: 'complaint', email: 'postmark.annoyed@example.com' });
  });

  it('a SendGrid batch: bounce, blocked 5.7.1, spam report, deferred (ignored), delivered', () => {
    const { bounces, deliveries } = sendgridReports(json('sendgrid-batch.json'));
    expect(bounces.map((b) => [b.email, b.kind, b.messageId])).toEqual([
      ['sg.gone@example.com', 'hard', '<tidings.3.301@lifewithdata.test>'],
      ['sg.blocked@example.com', 'policy', '<tidings.3.302@lifewithdata.test>'],
      ['sg.annoyed@example.com', 'complaint', '<tidings.3.303@lifewithdata.test>'],
    ]);
    expect(deliveries).toEqual([expect.objectContaining({ email: 'sg.fine@example.com' })]);
  });

  it('Mailgun permanent, temporary and complained events', () => {
    expect(mailgunReports(json('mailgun-failed-permanent.json')).bounces[0]).toMatchObject({ kind: 'hard', status: '5.1.1', messageId: '<tidings.3.401@lifewithdata.test>' });
    expect(mailgunReports(json('mailgun-failed-temporary.json')).bounces[0]).toMatchObject({ kind: 'soft', status: '4.2.2' });
    expect(mailgunReports(json('mailgun-complained.json')).bounces[0]).toMatchObject({ kind: 'complaint', email: 'mg.annoyed@example.com' });
  });
});
