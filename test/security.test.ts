import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { claimConfirmationEmail, subscribeFromForm } from '../src/db/subscribe-form';
import { getSubscriptionStatus, upsertSubscribers } from '../src/db/subscribers';
import { buildLinkEmail } from '../src/mail/link-email';
import { MessageTemplate } from '../src/mail/message-template';
import { marker } from '../src/render/slots';
import { parse, startStack, waitFor, type TestStack } from './helpers';

const SCRIPT = '<script>alert(1)</script>';
const DAY = 24 * 3600;

/** A raw HTTP request, so the Host header can be anything. */
function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const headerFields = (raw: Buffer) => raw.toString('latin1').split('\r\n\r\n')[0].split(/\r\n(?![ \t])/);

describe('security', () => {
  let stack: TestStack;
  let listId: number;
  let hostileListId: number;
  let subscriberId: number;
  const status = () => getSubscriptionStatus(stack.services.pool, listId, subscriberId);
  const post = (url: string, body = '') => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });

  beforeAll(async () => {
    stack = await startStack({ http: true });
    const { pool } = stack.services;
    listId = (await createList(pool, { slug: 'sec', name: 'Secure', doubleOptIn: true })).id;
    hostileListId = (await createList(pool, { slug: 'hostile', name: `${SCRIPT} & "quotes"` })).id;
    subscriberId = (await upsertSubscribers(pool, listId, [{ email: 'victim@example.com', name: SCRIPT, attributes: {} }], 'unconfirmed')).subscriberIds[0];
    await upsertSubscribers(pool, hostileListId, [{ email: 'victim@example.com', name: SCRIPT, attributes: {} }], 'confirmed');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('tampered, expired and cross-purpose tokens change nothing', async () => {
    const { links } = stack.services;
    const confirm = links.confirm(subscriberId, listId);
    const token = confirm.split('/confirm/')[1];
    const tampered = `${stack.baseUrl}/confirm/${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    const expired = links.confirm(subscriberId, listId, Math.floor(Date.now() / 1000) - 8 * DAY);
    const future = links.confirm(subscriberId, listId, Math.floor(Date.now() / 1000) + DAY);
    const unsubscribeToken = links.unsubscribe(subscriberId, listId, 0).split('/unsubscribe/')[1];
    const preferencesToken = links.preferences(subscriberId).split('/preferences/')[1];
    const clickToken = links.clickBase(1).split('/c/')[1];
    for (const url of [tampered, expired, future, `${stack.baseUrl}/confirm/${unsubscribeToken}`, `${stack.baseUrl}/confirm/${preferencesToken}`, `${stack.baseUrl}/confirm/${clickToken}`]) {
      // An expired link is ours and says so (410, with a button for a fresh one); the others are not valid.
      const expected = url === expired ? 410 : 400;
      expect((await fetch(url)).status, url).toBe(expected);
      expect((await post(url)).status, url).toBe(expected);
    }
    expect(await status()).toBe('unconfirmed');

    // An unsubscribe URL with a confirm or preferences token, and preferences with an unsubscribe or an expired token.
    for (const url of [`${stack.baseUrl}/unsubscribe/${token}`, `${stack.baseUrl}/unsubscribe/${preferencesToken}`]) {
      expect((await post(url, 'List-Unsubscribe=One-Click')).status).toBe(400);
    }
    const expiredPreferences = links.preferences(subscriberId, Math.floor(Date.now() / 1000) - 8 * DAY);
    for (const url of [`${stack.baseUrl}/preferences/${unsubscribeToken}`, expiredPreferences]) {
      const expected = url === expiredPreferences ? 410 : 400;
      expect((await fetch(url)).status).toBe(expected);
      expect((await post(`${url}/delete`, 'confirm=yes')).status).toBe(expected);
      expect((await fetch(`${url}/data.json`)).status).toBe(400);
    }
    expect((await stack.services.pool.query('SELECT 1 FROM subscribers WHERE id = $1', [subscriberId])).rowCount).toBe(1);
    expect(await status()).toBe('unconfirmed');
    // The good token still works.
    expect((await post(confirm)).status).toBe(200);
    expect(await status()).toBe('confirmed');
  });

  it('CRLF in a subscriber name, a subject or a list name cannot add a header', async () => {
    await expect(createList(stack.services.pool, { slug: 'crlf', name: 'News\r\nBcc: x@evil.example' })).rejects.toThrow(/one line/);
    const template = new MessageTemplate({
      sendId: 1,
      listId: 1,
      issueId: 1,
      from: { name: 'Sender\r\nBcc: a@evil.example', address: 'news@example.com' },
      subject: 'Hello\r\nBcc: b@evil.example',
      list: { name: 'List\r\nBcc: c@evil.example', slug: 'l' },
      sendingDomain: 'example.com',
      html: `<p>${marker('name')}</p>`,
      text: marker('name'),
    });
    const newsletter = template.render({ deliveryId: 1, email: 'r@example.com', name: 'Reader\r\nBcc: d@evil.example', unsubscribeUrl: 'https://x/u', openPixelUrl: 'https://x/o' });
    const confirmation = buildLinkEmail({
      from: { name: 'Sender', address: 'news@example.com' },
      to: { name: 'Reader\r\nBcc: e@evil.example', address: 'r@example.com' },
      sendingDomain: 'example.com',
      lang: 'en',
      subject: 'Confirm\r\nBcc: f@evil.example',
      intro: 'i',
      button: 'b',
      outro: 'o',
      url: 'https://x/confirm/t',
      more: [{ label: 'Unsubscribe\r\nBcc: g@evil.example', url: 'https://x/u' }],
    });
    for (const raw of [newsletter, confirmation]) {
      const fields = headerFields(raw);
      expect(fields.some((f) => /^bcc:/i.test(f))).toBe(false);
      const mail = await parse(raw);
      expect(mail.headers.has('bcc')).toBe(false);
      expect(mail.to).toMatchObject({ value: [{ address: 'r@example.com' }] });
    }
  });

  it('escapes <script> in every page and in the confirmation email', async () => {
    const { links } = stack.services;
    const pages = [
      `${stack.baseUrl}/subscribe/hostile`,
      links.unsubscribe(subscriberId, hostileListId, 0),
      links.confirm(subscriberId, hostileListId),
      links.preferences(subscriberId),
    ];
    for (const url of pages) {
      const html = await (await fetch(url)).text();
      expect(html, url).not.toContain('<script');
      expect(html, url).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    await fetch(`${stack.baseUrl}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'xss@example.com', name: SCRIPT, list: 'hostile' }) });
    // Single opt-in list: subscribed at once, no email. Use the double opt-in list for an email with the name.
    await fetch(`${stack.baseUrl}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'xss@example.com', name: SCRIPT, list: 'sec' }) });
    const message = await waitFor(async () => stack.smtp.messages.find((m) => m.to[0] === 'xss@example.com'));
    const mail = await parse(message.raw);
    expect(String(mail.html)).not.toContain('<script');
    expect(mail.to).toMatchObject({ value: [{ name: SCRIPT, address: 'xss@example.com' }] });
  });

  it('never builds a URL from the Host header', async () => {
    const port = stack.http!.port;
    const page = await rawGet(port, new URL(stack.services.links.unsubscribe(subscriberId, listId, 0)).pathname, 'evil.example');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('evil.example');
    expect(page.body).toContain(`${stack.baseUrl}/preferences/`);
    const form = await rawGet(port, '/subscribe/sec', 'evil.example');
    expect(form.body).not.toContain('evil.example');
  });

  it('sends security headers on pages and no cookies anywhere, tracking endpoints included', async () => {
    const res = await fetch(`${stack.baseUrl}/unsubscribe/${stack.services.links.unsubscribe(subscriberId, listId, 0).split('/unsubscribe/')[1]}`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
    for (const url of [`${stack.baseUrl}/o/${stack.services.links.openPixel(1).split('/o/')[1]}`, `${stack.services.links.clickBase(1)}/1`, `${stack.baseUrl}/subscribe/sec`]) {
      expect((await fetch(url, { redirect: 'manual' })).headers.get('set-cookie')).toBeNull();
    }
  });

  it('a burst of 1,000 subscribe requests for one address sends at most one confirmation email (a forged X-Forwarded-For changes nothing)', async () => {
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${stack.baseUrl}/subscribe`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `10.0.${batch}.${i}` },
            body: 'email=burst%40example.com&list=sec',
          }),
        ),
      );
      for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => s === 202 || s === 429)).toBe(true);
    expect(statuses.get(429)).toBeGreaterThan(900);
    await waitFor(async () => stack.smtp.messages.some((m) => m.to[0] === 'burst@example.com'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stack.smtp.messages.filter((m) => m.to[0] === 'burst@example.com')).toHaveLength(1);
  });

  it('the database claim alone allows one confirmation email per address per 24 hours, whatever the races', async () => {
    const { pool } = stack.services;
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () => subscribeFromForm(pool, { listId, email: 'race@example.com', name: '', doubleOptIn: true })),
    );
    const id = outcomes.map((o) => ('subscriberId' in o ? o.subscriberId : 0)).find(Boolean)!;
    const claims = await Promise.all(Array.from({ length: 30 }, () => claimConfirmationEmail(pool, listId, id)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
