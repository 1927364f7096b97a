import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import type { CapturedMessage } from '../src/mail/capture-server';
import { dkimTxtRecord } from '../src/security/dkim-keys';
import { createIssueFromFile } from '../src/issues/create-issue';
import { startSend } from '../src/send/start-send';
import { verifyDkim } from './dkim-helpers';
import { parse, rawHeaders, startStack, waitFor, type TestStack } from './helpers';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;
const pem = (k: typeof rsa) => k.export({ format: 'pem', type: 'pkcs8' }).toString();
const DNS = {
  'news2026._domainkey.lifewithdata.test': dkimTxtRecord(rsa),
  'news2026-ed25519._domainkey.lifewithdata.test': dkimTxtRecord(ed),
};

/** The header block of a raw message as fields (continuation lines kept). */
const fieldsOf = (raw: Buffer) => raw.toString('latin1').split('\r\n\r\n')[0].split(/\r\n(?![ \t])/);

describe('headers of a real send of the sample issue (DKIM, VERP, mailto unsubscribe)', () => {
  let stack: TestStack;
  let messages: CapturedMessage[];
  let sendId: number;
  let deliveries: Map<string, number>;

  beforeAll(async () => {
    stack = await startStack({
      http: true,
      workers: true,
      env: {
        DKIM_DOMAIN: 'lifewithdata.test',
        DKIM_SELECTOR: 'news2026',
        DKIM_PRIVATE_KEY: pem(rsa),
        DKIM_ED25519_KEY: pem(ed),
        BOUNCE_DOMAIN: 'bounces.lifewithdata.test',
        LIST_UNSUBSCRIBE_MAILTO: 'unsubscribe@lifewithdata.test',
      },
    });
    const { pool, config } = stack.services;
    const list = await createList(pool, { slug: 'weekly', name: 'ML UTD 周刊' });
    const names = ['王小明', 'Evil\r\nBcc: victim@example.com', '<script>alert(1)</script>', '', 'Zoë'];
    await upsertSubscribers(pool, list.id, names.map((name, i) => ({ email: `h${i}@example.com`, name, attributes: {} })), 'confirmed');
    const { issue } = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl });
    const { send } = await startSend(stack.services, issue.id, 'weekly');
    sendId = send.id;
    await waitForSend(stack.services, send.id, { bar: false });
    messages = stack.smtp.messages.filter((m) => m.raw.includes(`Feedback-ID: ${send.id}:`));
    const { rows } = await pool.query<{ email: string; id: number }>('SELECT s.email, d.id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.send_id = $1', [send.id]);
    deliveries = new Map(rows.map((r) => [r.email, r.id]));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('has exactly one of each identity header, a stable Message-ID per delivery and a constant Feedback-ID', () => {
    expect(messages).toHaveLength(5);
    const feedbackIds = new Set<string>();
    for (const message of messages) {
      const fields = fieldsOf(message.raw);
      for (const name of ['From', 'To', 'Subject', 'Date', 'Message-ID', 'List-Id', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'Feedback-ID', 'Precedence']) {
        expect(fields.filter((f) => f.toLowerCase().startsWith(name.toLowerCase() + ':')), name).toHaveLength(1);
      }
      expect(fields.filter((f) => f.startsWith('DKIM-Signature:'))).toHaveLength(2);
      expect(rawHeaders(message.raw, 'Message-ID')[0]).toBe(`<tidings.${sendId}.${deliveries.get(message.to[0])}@lifewithdata.test>`);
      expect(rawHeaders(message.raw, 'Precedence')[0]).toBe('bulk');
      feedbackIds.add(rawHeaders(message.raw, 'Feedback-ID')[0]);
    }
    expect(feedbackIds.size).toBe(1);
  });

  it('carries RFC 8058 one-click unsubscribe (https and mailto), byte for byte, and List-Id per RFC 2919', async () => {
    for (const message of messages) {
      const text = message.raw.toString('latin1');
      expect(text).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
      const value = rawHeaders(message.raw, 'List-Unsubscribe')[0];
      const match = new RegExp(`^<(${stack.baseUrl}/unsubscribe/([A-Za-z0-9_-]+))>, <mailto:unsubscribe@lifewithdata\\.test\\?subject=unsubscribe-([A-Za-z0-9_-]+)>$`).exec(value);
      expect(match, value).not.toBeNull();
      expect(match![3]).toBe(match![2]);
      const mail = await parse(message.raw);
      expect(mail.text).toContain(match![1]);
      const listId = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?= <weekly\.list-id\.lifewithdata\.test>$/.exec(rawHeaders(message.raw, 'List-Id')[0]);
      expect(listId).not.toBeNull();
      expect(Buffer.from(listId![1], 'base64').toString('utf8')).toBe('ML UTD 周刊');
    }
  });

  it('encodes Subject, From and To per RFC 2047: ASCII lines of at most 78 characters that decode exactly; CRLF in a name adds no header', async () => {
    for (const message of messages) {
      for (const field of fieldsOf(message.raw)) {
        for (const line of field.split('\r\n')) {
          expect(line).toMatch(/^[\x20-\x7e]*$/);
          // A URL cannot be folded: List-Unsubscribe may pass 78 (never 998).
          expect(line.length).toBeLessThanOrEqual(field.startsWith('List-Unsubscribe:') ? 998 : 78);
        }
      }
      const mail = await parse(message.raw);
      expect(mail.subject).toBe('[ML UTD 32] 最新的机器学习—数据生活');
      expect(mail.from?.value[0]).toEqual({ name: '数据生活 LifeWithData', address: 'news@lifewithdata.test' });
      expect(mail.headers.has('bcc')).toBe(false);
      expect(fieldsOf(message.raw).some((f) => /^bcc:/i.test(f))).toBe(false);
    }
    const evil = messages.find((m) => m.to[0] === 'h1@example.com')!;
    expect((await parse(evil.raw)).to).toMatchObject({ value: [{ address: 'h1@example.com', name: 'Evil Bcc: victim@example.com' }] });
  });

  it('is multipart/alternative, text/plain first and text/html last, both UTF-8; a script in a name is escaped', async () => {
    for (const message of messages) {
      const raw = message.raw.toString('latin1');
      expect(raw).toMatch(/Content-Type: multipart\/alternative;/);
      const textAt = raw.indexOf('Content-Type: text/plain; charset=utf-8');
      const htmlAt = raw.indexOf('Content-Type: text/html; charset=utf-8');
      expect(textAt).toBeGreaterThan(0);
      expect(htmlAt).toBeGreaterThan(textAt);
    }
    const html = String((await parse(messages.find((m) => m.to[0] === 'h2@example.com')!.raw)).html);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is DKIM-signed (RSA and Ed25519) and mailauth verifies every message against the published keys', async () => {
    for (const message of messages) {
      const results = await verifyDkim(message.raw, DNS);
      expect(results.map((r) => r.status.result)).toEqual(['pass', 'pass']);
      expect(results.map((r) => r.status.header.a).sort()).toEqual(['ed25519-sha256', 'rsa-sha256']);
    }
    // The unsubscribe URL in the signed header is longer than 78 characters.
    expect(rawHeaders(messages[0].raw, 'List-Unsubscribe')[0].length).toBeGreaterThan(78);
  });

  it('uses a VERP envelope sender that names the delivery and cannot be forged', () => {
    for (const message of messages) {
      expect(message.from).toMatch(/^bounce\+[A-Za-z0-9_-]+@bounces\.lifewithdata\.test$/);
      expect(message.from.split('@')[0].length).toBeLessThanOrEqual(64);
      expect(stack.services.links.readBounceAddress(message.from)).toEqual({ deliveryId: deliveries.get(message.to[0]) });
    }
    const forged = messages[0].from.replace(/\+(.)/, (_m, c: string) => `+${c === 'A' ? 'B' : 'A'}`);
    expect(stack.services.links.readBounceAddress(forged)).toBeNull();
  });

  it('tracks links through /c/ and keeps unsubscribe and web-version links direct', async () => {
    const html = String((await parse(messages[0].raw)).html);
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    const external = hrefs.filter((h) => !h.startsWith(stack.baseUrl));
    expect(external).toEqual([]);
    expect(hrefs.some((h) => h.includes('/c/'))).toBe(true);
    expect(hrefs.some((h) => h.includes('/unsubscribe/'))).toBe(true);
    expect(hrefs.some((h) => h.includes('/archive/'))).toBe(true);
    expect(html).toMatch(/src="[^"]+\/o\/[A-Za-z0-9_-]+"/);
  });

  it('signs the double opt-in confirmation email too', async () => {
    await createList(stack.services.pool, { slug: 'confirm-me', name: '确认 list', doubleOptIn: true });
    const res = await fetch(`${stack.baseUrl}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new@example.com', name: '新读者', list: 'confirm-me' }),
    });
    expect(res.status).toBe(202);
    const message = await waitFor(async () => stack.smtp.messages.find((m) => m.to[0] === 'new@example.com'));
    const results = await verifyDkim(message.raw, DNS);
    expect(results.map((r) => r.status.result)).toEqual(['pass', 'pass']);
    for (const field of fieldsOf(message.raw)) for (const line of field.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect((await parse(message.raw)).subject).toBe('Confirm your subscription to 确认 list');
  });
});
