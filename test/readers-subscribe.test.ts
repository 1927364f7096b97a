import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { getSubscriptionStatus, upsertSubscribers } from '../src/db/subscribers';
import { parse, startStack, waitFor, type TestStack } from './helpers';

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' } as Record<string, string>,
  body: new URLSearchParams(fields).toString(),
});
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' } as Record<string, string>, body: JSON.stringify(body) });

describe('subscribe and double opt-in', () => {
  let stack: TestStack;
  let singleId: number;
  let doubleId: number;
  const subscriberId = async (email: string) =>
    (await stack.services.pool.query<{ id: number }>('SELECT id FROM subscribers WHERE lower(email) = lower($1)', [email])).rows[0]?.id;
  const confirmationsTo = (email: string) => stack.smtp.messages.filter((m) => m.to[0].toLowerCase() === email.toLowerCase() && !m.raw.includes('Feedback-ID:'));
  /** Waits until the work after the response is done (a subscription row exists, or a mail arrived). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  beforeAll(async () => {
    stack = await startStack({ http: true });
    const { pool } = stack.services;
    singleId = (await createList(pool, { slug: 'open', name: 'Open list' })).id;
    doubleId = (await createList(pool, { slug: 'careful', name: 'Careful 周刊', doubleOptIn: true })).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves a plain, embeddable form page with a honeypot', async () => {
    const res = await fetch(`${stack.baseUrl}/subscribe/careful`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/subscribe">');
    expect(html).toContain('name="list" value="careful"');
    expect(html).toContain('name="website"');
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect((await fetch(`${stack.baseUrl}/subscribe/nope`)).status).toBe(404);
  });

  it('single opt-in: subscribes at once', async () => {
    const res = await fetch(`${stack.baseUrl}/subscribe`, form({ email: 'single@example.com', name: 'Single', list: 'open' }));
    expect(res.status).toBe(202);
    const id = await waitFor(() => subscriberId('single@example.com'));
    await waitFor(async () => (await getSubscriptionStatus(stack.services.pool, singleId, id)) === 'confirmed');
  });

  it('double opt-in: emails a confirmation link; GET shows a button and changes nothing; POST confirms', async () => {
    const res = await fetch(`${stack.baseUrl}/subscribe`, json({ email: 'Double@Example.com', name: '王小明', list: 'careful' }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'accepted' });
    const [message] = await waitFor(async () => confirmationsTo('Double@Example.com').length > 0 && confirmationsTo('Double@Example.com'));
    const mail = await parse(message.raw);
    expect(mail.subject).toBe('Confirm your subscription to Careful 周刊');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/confirm\/[A-Za-z0-9_-]+)/.exec(String(mail.text))![1];
    expect(String(mail.html)).toContain(link);
    const id = (await subscriberId('double@example.com'))!;
    expect(await getSubscriptionStatus(stack.services.pool, doubleId, id)).toBe('unconfirmed');

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(await getSubscriptionStatus(stack.services.pool, doubleId, id)).toBe('unconfirmed');

    const post = await fetch(link, { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(200);
    expect(await getSubscriptionStatus(stack.services.pool, doubleId, id)).toBe('confirmed');
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
  });

  it('answers identically for new, subscribed, unsubscribed and blocked addresses', async () => {
    const { pool } = stack.services;
    await upsertSubscribers(pool, doubleId, [{ email: 'member@example.com', name: 'M', attributes: {} }], 'confirmed');
    await upsertSubscribers(pool, doubleId, [{ email: 'left@example.com', name: 'L', attributes: {} }], 'unsubscribed');
    await upsertSubscribers(pool, doubleId, [{ email: 'blocked@example.com', name: 'B', attributes: {} }], 'confirmed');
    await pool.query("UPDATE subscribers SET status = 'blocked' WHERE email = 'blocked@example.com'");
    const answers = [];
    for (const email of ['fresh@example.com', 'member@example.com', 'left@example.com', 'blocked@example.com']) {
      for (const request of [form({ email, list: 'careful' }), json({ email, list: 'careful' })]) {
        const res = await fetch(`${stack.baseUrl}/subscribe`, request);
        const headers = Object.fromEntries([...res.headers].filter(([k]) => !['date', 'content-length', 'connection', 'keep-alive', 'etag'].includes(k)));
        answers.push({ json: request.headers.accept !== undefined, status: res.status, body: await res.text(), headers });
      }
    }
    const forms = answers.filter((a) => !a.json);
    const jsons = answers.filter((a) => a.json);
    for (const group of [forms, jsons]) for (const answer of group) expect(answer).toEqual(group[0]);
    await settle();
    // Only the new address and the one that had left get an email; the member and the blocked one none.
    await waitFor(async () => confirmationsTo('fresh@example.com').length === 1 && confirmationsTo('left@example.com').length === 1);
    expect(confirmationsTo('member@example.com')).toHaveLength(0);
    expect(confirmationsTo('blocked@example.com')).toHaveLength(0);
    expect(await getSubscriptionStatus(pool, doubleId, (await subscriberId('left@example.com'))!)).toBe('unsubscribed');
  });

  it('sends at most one confirmation email per address per 24 hours', async () => {
    for (let i = 0; i < 3; i++) await fetch(`${stack.baseUrl}/subscribe`, form({ email: 'again@example.com', list: 'careful' }));
    await waitFor(async () => confirmationsTo('again@example.com').length > 0);
    await settle();
    expect(confirmationsTo('again@example.com')).toHaveLength(1);
  });

  it('rejects a bad address (400), a missing list (400), an unknown list (404), a large body (413); ignores the honeypot', async () => {
    const bad = await fetch(`${stack.baseUrl}/subscribe`, json({ email: 'not-an-address', list: 'careful' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid/);
    const badForm = await fetch(`${stack.baseUrl}/subscribe`, form({ email: 'a@b', list: 'careful' }));
    expect(badForm.status).toBe(400);
    expect(await badForm.text()).toContain('This email address is not valid');
    expect((await fetch(`${stack.baseUrl}/subscribe`, json({ email: 'x@example.com' }))).status).toBe(400);
    expect((await fetch(`${stack.baseUrl}/subscribe`, json({ email: 'x@example.com', list: 'nope' }))).status).toBe(404);
    const big = await fetch(`${stack.baseUrl}/subscribe`, json({ email: 'x@example.com', list: 'careful', name: 'x'.repeat(10_000) }));
    expect(big.status).toBe(413);
    const bot = await fetch(`${stack.baseUrl}/subscribe`, form({ email: 'bot@example.com', list: 'careful', website: 'http://spam' }));
    expect(bot.status).toBe(202);
    await settle();
    expect(await subscriberId('bot@example.com')).toBeUndefined();
    expect(confirmationsTo('bot@example.com')).toHaveLength(0);
  });
});

