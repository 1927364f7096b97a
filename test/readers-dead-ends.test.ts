import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, getListBySlug } from '../src/db/lists';
import { getSubscriptionStatus, upsertSubscribers } from '../src/db/subscribers';
import { LINK_REQUESTS_PER_IP_PER_HOUR } from '../src/http/routes/unsubscribe';
import { CONFIRM_TTL_SECONDS, PREFERENCES_TTL_SECONDS } from '../src/security/links';
import { parse, startStack, waitFor, type TestStack } from './helpers';

/** Issue 11 point 4: no page a reader reaches leaves them without a way on. */
describe('no dead ends for readers', () => {
  let stack: TestStack;
  const HOSTILE_LIST = '<img src=x onerror=alert(1)> list';
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const url = (path: string) => `${stack.baseUrl}${path}`;
  const mailsTo = (email: string) => stack.smtp.messages.filter((m) => m.to[0].toLowerCase() === email.toLowerCase() && !m.raw.includes('Feedback-ID:'));
  const linksIn = async (raw: Buffer) => [...String((await parse(raw)).text).matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
  const person = async (slug: string, email: string, status: 'confirmed' | 'unconfirmed' | 'unsubscribed') => {
    const list = await getListBySlug(stack.services.pool, slug);
    const [id] = (await upsertSubscribers(stack.services.pool, list.id, [{ email, name: 'Reader', attributes: {} }], status)).subscriberIds;
    return { id, list };
  };
  const status = (listId: number, id: number) => getSubscriptionStatus(stack.services.pool, listId, id);
  const longAgo = (ttl: number) => Math.floor(Date.now() / 1000) - ttl - 3600;
  /** Waits until the work done after an answer has finished (it has no event the test could await). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

  beforeAll(async () => {
    stack = await startStack({ http: true });
    const { pool } = stack.services;
    await createList(pool, { slug: 'open', name: 'Open list' });
    await createList(pool, { slug: 'careful', name: HOSTILE_LIST, doubleOptIn: true });
    await createList(pool, { slug: 'zhoukan', name: '数据周刊', language: 'zh-CN', doubleOptIn: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('an expired confirmation link says it expired and emails a fresh one to its address, once a day', async () => {
    const { id, list } = await person('careful', 'late@example.com', 'unconfirmed');
    const expired = stack.services.links.confirm(id, list.id, longAgo(CONFIRM_TTL_SECONDS));
    for (const res of [await fetch(expired), await fetch(expired, { method: 'POST' })]) {
      expect(res.status).toBe(410);
      const html = await res.text();
      expect(html).toContain('This link has expired');
      expect(html).not.toContain('cut short');
      expect(html).toContain(`<form method="post" action="${new URL(expired).pathname}/renew">`);
      expect(html).toContain('Email me a new link');
    }
    expect(await status(list.id, id)).toBe('unconfirmed');

    const renewed = await fetch(`${expired}/renew`, { method: 'POST' });
    expect(renewed.status).toBe(200);
    expect(await renewed.text()).toContain('A new link is on its way to the address this link was sent to');
    const [mail] = await waitFor(async () => mailsTo('late@example.com').length > 0 && mailsTo('late@example.com'));
    const fresh = (await linksIn(mail.raw)).find((l) => l.includes('/confirm/'))!;
    expect((await fetch(fresh)).status).toBe(200);
    expect((await fetch(fresh, { method: 'POST' })).status).toBe(200);
    expect(await status(list.id, id)).toBe('confirmed');

    // Already confirmed: the expired link's button says so instead of sending anything.
    const again = await (await fetch(`${expired}/renew`, { method: 'POST' })).text();
    expect(again).toContain('You were already subscribed');
    expect(again).not.toContain('<img src=x');
    expect(again).toContain('&lt;img src&#61;x onerror&#61;alert(1)&gt; list');

    // A second request for a fresh link within 24 hours: told so, and no second email.
    const other = await person('careful', 'late2@example.com', 'unconfirmed');
    const expired2 = stack.services.links.confirm(other.id, other.list.id, longAgo(CONFIRM_TTL_SECONDS));
    await fetch(`${expired2}/renew`, { method: 'POST' });
    await waitFor(async () => mailsTo('late2@example.com').length === 1);
    expect(await (await fetch(`${expired2}/renew`, { method: 'POST' })).text()).toContain('already emailed to this address in the last 24 hours');
    await settle();
    expect(mailsTo('late2@example.com')).toHaveLength(1);

    // A zh-CN list's expired link, in Chinese; a forged one is still "not valid".
    const zh = await person('zhoukan', 'wang@example.com', 'unconfirmed');
    const zhPage = await (await fetch(stack.services.links.confirm(zh.id, zh.list.id, longAgo(CONFIRM_TTL_SECONDS)))).text();
    expect(zhPage).toContain('链接已过期');
    expect(zhPage).toContain('给我发送新链接');
    const forged = await fetch(url('/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/renew'), { method: 'POST' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('This link is not valid');
  });

  it('an expired preferences link says it expired and emails a fresh one (with the unsubscribe links)', async () => {
    const { id } = await person('open', 'prefs@example.com', 'confirmed');
    await person('careful', 'prefs@example.com', 'confirmed');
    const expired = stack.services.links.preferences(id, longAgo(PREFERENCES_TTL_SECONDS));
    const res = await fetch(expired);
    expect(res.status).toBe(410);
    const html = await res.text();
    expect(html).toContain('This link has expired');
    expect(html).toContain('Links to your subscriptions page work for 7 days');
    expect(html).not.toContain('prefs@example.com');
    expect((await fetch(`${expired}/data.json`)).status).toBe(400);
    expect((await fetch(expired, form({ list: '1' }))).status).toBe(410);

    const renewed = await (await fetch(`${expired}/renew`, { method: 'POST' })).text();
    expect(renewed).toContain('A new link is on its way');
    const [mail] = await waitFor(async () => mailsTo('prefs@example.com').length > 0 && mailsTo('prefs@example.com'));
    const parsed = await parse(mail.raw);
    expect(parsed.subject).toBe('Your links to manage your subscriptions');
    expect(String(parsed.html)).not.toContain('<img src=x');
    const links = await linksIn(mail.raw);
    const preferences = links.find((l) => l.includes('/preferences/'))!;
    const page = await (await fetch(preferences)).text();
    expect(page).toContain('Subscriptions of prefs@example.com');
    // One unsubscribe link per list the reader receives, each working.
    const unsubscribes = links.filter((l) => l.includes('/unsubscribe/'));
    expect(unsubscribes).toHaveLength(2);
    expect(await (await fetch(unsubscribes[0])).text()).toMatch(/Unsubscribe from “(Open list|&lt;img)/);
  });

  it('the generic unsubscribe page emails a reader their own links: same answer for any address, rate-limited', async () => {
    const help = await (await fetch(url('/unsubscribe'))).text();
    expect(help).toContain('<form method="post" action="/unsubscribe">');
    expect(help).toMatch(/<label for="u-email">Email address<\/label>/);
    const { id, list } = await person('open', 'reader@example.com', 'confirmed');

    const answers = [];
    for (const email of ['Reader@Example.com', 'stranger@example.com']) {
      const res = await fetch(url('/unsubscribe'), form({ email }));
      answers.push({ status: res.status, body: await res.text() });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0].status).toBe(202);
    expect(answers[0].body).toContain('If this address is subscribed to one of our newsletters, an email with its personal links is on its way');
    const [mail] = await waitFor(async () => mailsTo('reader@example.com').length > 0 && mailsTo('reader@example.com'));
    const unsubscribeLink = (await linksIn(mail.raw)).find((l) => l.includes('/unsubscribe/'))!;
    await fetch(unsubscribeLink, { method: 'POST' });
    expect(await status(list.id, id)).toBe('unsubscribed');
    await settle();
    expect(mailsTo('stranger@example.com')).toHaveLength(0);

    // Asked again at once: the same answer, and no second email (one per address per 10 minutes).
    const again = await fetch(url('/unsubscribe'), form({ email: 'reader@example.com' }));
    expect({ status: again.status, body: await again.text() }).toEqual(answers[0]);
    await settle();
    expect(mailsTo('reader@example.com')).toHaveLength(1);

    // A bad address: the form again, with what was typed (escaped) and the message next to the field.
    const typed = '"><script>alert(1)</script>';
    const bad = await fetch(url('/unsubscribe'), form({ email: typed }));
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).not.toContain('<script>alert(1)</script>');
    expect(badPage).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(badPage).toMatch(/aria-invalid="true" aria-describedby="u-email-error">\n<span class="field-error" id="u-email-error" role="alert">This email address is not valid/);

    // Per client address: after LINK_REQUESTS_PER_IP_PER_HOUR requests in an hour (4 so far), 429 with Retry-After.
    let last: Response | undefined;
    for (let i = 5; i <= LINK_REQUESTS_PER_IP_PER_HOUR; i++) last = await fetch(url('/unsubscribe'), form({ email: `n${i}@example.com` }));
    expect(last!.status).toBe(202);
    const limited = await fetch(url('/unsubscribe'), form({ email: 'one-more@example.com' }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('an unsubscribe link opened after unsubscribing shows the status and a "subscribe again" button', async () => {
    // Single opt-in: back at once.
    const single = await person('open', 'back@example.com', 'confirmed');
    const link = stack.services.links.unsubscribe(single.id, single.list.id, 0);
    const left = await (await fetch(link, form({}))).text();
    expect(left).toContain('You will not receive “Open list” any more');
    expect(left).toContain(`action="${new URL(link).pathname}/resubscribe"`);
    const reopened = await (await fetch(link)).text();
    expect(reopened).toContain('You are not subscribed to “Open list”: you unsubscribed');
    expect(reopened).toContain('Press the button and you will receive the next issue.');
    expect(reopened).toContain('Subscribe again</button>');
    expect(reopened).not.toContain('Unsubscribe from “Open list”?');
    expect((await fetch(`${link}/resubscribe`)).status).toBe(404); // a GET changes nothing
    expect(await status(single.list.id, single.id)).toBe('unsubscribed');
    const back = await (await fetch(`${link}/resubscribe`, { method: 'POST' })).text();
    expect(back).toContain('You are subscribed to “Open list” again.');
    expect(await status(single.list.id, single.id)).toBe('confirmed');

    // Double opt-in: through a confirmation email; nothing changes until its link is opened.
    const careful = await person('careful', 'careful-back@example.com', 'unsubscribed');
    const carefulLink = stack.services.links.unsubscribe(careful.id, careful.list.id, 0);
    const page = await (await fetch(carefulLink)).text();
    expect(page).toContain('we will email you a link to confirm');
    expect(page).toContain('&lt;img src&#61;x onerror&#61;alert(1)&gt; list');
    expect(page).not.toContain('<img src=x');
    const asked = await (await fetch(`${carefulLink}/resubscribe`, { method: 'POST' })).text();
    expect(asked).toContain('We have emailed you a link to confirm');
    expect(await status(careful.list.id, careful.id)).toBe('unsubscribed');
    const [mail] = await waitFor(async () => mailsTo('careful-back@example.com').length > 0 && mailsTo('careful-back@example.com'));
    const confirm = (await linksIn(mail.raw)).find((l) => l.includes('/confirm/'))!;
    await fetch(confirm, { method: 'POST' });
    expect(await status(careful.list.id, careful.id)).toBe('confirmed');

    // A blocked address is told it cannot be subscribed again, and nothing is sent.
    const blocked = await person('careful', 'bounced@example.com', 'unsubscribed');
    await stack.services.pool.query("UPDATE subscribers SET status = 'blocked' WHERE id = $1", [blocked.id]);
    const refused = await (await fetch(`${stack.services.links.unsubscribe(blocked.id, blocked.list.id, 0)}/resubscribe`, { method: 'POST' })).text();
    expect(refused).toContain('This address cannot receive our emails');
    await settle();
    expect(mailsTo('bounced@example.com')).toHaveLength(0);
  });

  it('a bad address in the subscribe form shows the form again with the typed values and the message by the field', async () => {
    const res = await fetch(url('/subscribe'), form({ email: 'ada@example', name: '<b>Ada</b>', list: 'zhoukan' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-security-policy')).toContain('frame-ancestors *');
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('<form method="post" action="/subscribe">');
    expect(html).toContain('name="list" value="zhoukan"');
    expect(html).toContain('value="ada@example"');
    expect(html).toContain('value="&lt;b&gt;Ada&lt;/b&gt;"');
    expect(html).not.toContain('<b>Ada</b>');
    expect(html).toMatch(/id="f-email" name="email" type="email" required autocomplete="email" value="ada@example" aria-invalid="true" aria-describedby="f-email-error">\n<span class="field-error" id="f-email-error" role="alert">这个邮箱地址无效/);
    // JSON clients keep their error object.
    const json = await fetch(url('/subscribe'), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email: 'ada@example', list: 'open' }) });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: expect.stringContaining('not valid') });
  });

  it('a returning reader is told what happens next, and that is what happens', async () => {
    const { pool } = stack.services;
    const open = await getListBySlug(pool, 'open');
    const left = await person('open', 'returning@example.com', 'unsubscribed');
    const member = await person('open', 'member@example.com', 'confirmed');
    const answers: string[] = [];
    for (const email of ['newcomer@example.com', 'returning@example.com', 'member@example.com']) {
      answers.push(await (await fetch(url('/subscribe'), form({ email, list: 'open' }))).text());
    }
    // No enumeration: one answer, which names each case.
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain('If this address is new to this newsletter, it is subscribed from now on.');
    expect(answers[0]).toContain('If it had unsubscribed before, we have emailed it a link to confirm that it wants to come back');
    expect(answers[0]).toContain('If it is already subscribed, nothing changes.');
    // …and each case does what it says.
    const newcomer = await waitFor(async () => (await pool.query<{ id: number }>("SELECT id FROM subscribers WHERE email = 'newcomer@example.com'")).rows[0]?.id);
    await waitFor(async () => (await status(open.id, newcomer)) === 'confirmed');
    expect(mailsTo('newcomer@example.com')).toHaveLength(0);
    await waitFor(async () => mailsTo('returning@example.com').length === 1);
    expect(await status(open.id, left.id)).toBe('unsubscribed');
    await settle();
    expect(mailsTo('member@example.com')).toHaveLength(0);
    expect(await status(open.id, member.id)).toBe('confirmed');

    // Two double opt-in lists on one day: each confirmation email is sent (the limit is per list and address).
    for (const list of ['careful', 'zhoukan']) await fetch(url('/subscribe'), form({ email: 'both@example.com', list }));
    await waitFor(async () => mailsTo('both@example.com').length === 2);
    const subjects = await Promise.all(mailsTo('both@example.com').map(async (m) => (await parse(m.raw)).subject));
    expect(subjects.sort()).toEqual(['Confirm your subscription to <img src=x onerror=alert(1)> list', '请确认订阅“数据周刊”']);
  });
});
