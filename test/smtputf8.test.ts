import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import { createIssueFromFile } from '../src/issues/create-issue';
import { checkEmailAddress } from '../src/mail/email-address';
import { createSmtpMailer, SmtpError } from '../src/mail/mailer';
import { CaptureServer } from '../src/mail/capture-server';
import { dkimTxtRecord } from '../src/security/dkim-keys';
import { startSend } from '../src/send/start-send';
import { verifyDkim } from './dkim-helpers';
import { parse, startStack, type TestStack } from './helpers';

/**
 * Internationalised addresses (RFC 6531) on the wire, through the whole send path: the fan-out, a deliver
 * worker, the SMTP pool and a real SMTP server (smtp-server), once announcing SMTPUTF8 and once not.
 */
const PEOPLE = ['ömil@example.com', 'info@Bücher.de', 'ada@example.com'].map((input) => {
  const check = checkEmailAddress(input);
  if (!check.ok) throw new Error(check.problem);
  return { email: check.address, name: '', attributes: {} };
});

async function sendToEveryone(stack: TestStack) {
  const { pool, config } = stack.services;
  await createList(pool, { slug: 'intl', name: 'International' });
  const listId = (await pool.query<{ id: number }>(`SELECT id FROM lists WHERE slug = 'intl'`)).rows[0].id;
  await upsertSubscribers(pool, listId, PEOPLE, 'confirmed');
  const issue = (await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl })).issue;
  const { send } = await startSend(stack.services, issue.id, 'intl');
  const outcome = await waitForSend(stack.services, send.id, { bar: false });
  const { rows } = await pool.query<{ email: string; status: string; failureKind: string | null; smtpResponse: string | null }>(
    `SELECT s.email, d.status, d.failure_kind AS "failureKind", d.smtp_response AS "smtpResponse"
     FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.send_id = $1 ORDER BY s.email`,
    [send.id],
  );
  return { outcome, deliveries: Object.fromEntries(rows.map((r) => [r.email, r])) };
}

describe('a route whose server announces SMTPUTF8', () => {
  let stack: TestStack;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  beforeAll(async () => {
    const env = { DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
    stack = await startStack({ workers: true, env });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('carries a non-ASCII local part as it is (SMTPUTF8 in MAIL FROM, UTF-8 in To), and a Unicode domain in A-labels', async () => {
    const { outcome } = await sendToEveryone(stack);
    expect(outcome.counts).toMatchObject({ total: 3, sent: 3, failed: 0 });
    // smtp-server reports a domain written in A-labels in its Unicode form: the envelope is checked by its SMTPUTF8 flag.
    const byRecipient = new Map(stack.smtp.messages.map((m) => [m.to[0], m]));
    expect([...byRecipient.keys()].sort()).toEqual(['ada@example.com', 'info@bücher.de', 'ömil@example.com']);

    const intl = byRecipient.get('ömil@example.com')!;
    expect(intl.smtpUtf8).toBe(true);
    const head = intl.raw.toString('utf8').split('\r\n\r\n')[0];
    expect(head).toMatch(/^To: .*<ömil@example\.com>$/m);
    expect((await parse(intl.raw)).to).toMatchObject({ value: [{ address: 'ömil@example.com' }] });
    // The DKIM signature covers the UTF-8 To header as it went out.
    const [dkim] = await verifyDkim(intl.raw, { 's1._domainkey.example.com': dkimTxtRecord(key) });
    expect(dkim.status.result).toBe('pass');

    // An ASCII local part needs no SMTPUTF8: its domain goes out as A-labels, in the envelope and in To.
    const idn = byRecipient.get('info@bücher.de')!;
    expect(idn.smtpUtf8).toBe(false);
    expect(idn.raw.toString('utf8')).toMatch(/^To: .*<info@xn--bcher-kva\.de>$/m);
    expect(byRecipient.get('ada@example.com')!.smtpUtf8).toBe(false);
  });
});

describe('a route whose server does not announce SMTPUTF8', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ workers: true, smtp: { keep: true, hideSmtpUtf8: true } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('fails only that delivery, with a reason that says why, suppresses nobody, and sends the others', async () => {
    const { outcome, deliveries } = await sendToEveryone(stack);
    expect(outcome.counts).toMatchObject({ total: 3, sent: 2, failed: 1 });
    expect(deliveries['ömil@example.com']).toMatchObject({ status: 'failed', failureKind: 'sender' });
    expect(deliveries['ömil@example.com'].smtpResponse).toContain('ömil@example.com is an internationalised address (RFC 6531) and this SMTP server does not announce SMTPUTF8');
    expect(deliveries['info@bücher.de']).toMatchObject({ status: 'sent' });
    expect(stack.smtp.messages.map((m) => m.to[0]).sort()).toEqual(['ada@example.com', 'info@bücher.de']);
    expect(stack.smtp.messages.find((m) => m.to[0] === 'info@bücher.de')!.raw.toString('utf8')).toMatch(/^To: .*<info@xn--bcher-kva\.de>$/m);
    expect((await stack.services.pool.query(`SELECT count(*)::int AS n FROM suppressions`)).rows[0].n).toBe(0);
  });

  it('the pool refuses before MAIL FROM and keeps the connection for the next message', async () => {
    const server = new CaptureServer({ keep: true, hideSmtpUtf8: true });
    await server.listen();
    const mailer = createSmtpMailer({ url: server.url, poolSize: 1 });
    try {
      const raw = Buffer.from('From: a@example.com\r\nTo: x\r\nSubject: t\r\n\r\nhello\r\n');
      const refused = await mailer.send({ from: 'a@example.com', to: '用户@例子.广告' }, raw).catch((e) => e as SmtpError);
      expect(refused).toBeInstanceOf(SmtpError);
      expect(refused).toMatchObject({ kind: 'sender', permanent: true, verdict: 'policy' });
      await mailer.send({ from: 'a@example.com', to: 'b@example.com' }, raw);
      expect(server.messages.map((m) => m.to[0])).toEqual(['b@example.com']);
    } finally {
      await mailer.close();
      await server.close();
    }
  });
});
