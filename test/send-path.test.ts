import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import type { SubscriptionStatus } from '../src/db/states';
import { upsertSubscribers, type SubscriberInput, getSubscriptionStatus } from '../src/db/subscribers';
import { createIssueFromFile } from '../src/issues/create-issue';
import { startSend } from '../src/send/start-send';
import { waitForSend } from '../src/cli/progress';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { parse, rawHeaders, startStack, type TestStack } from './helpers';

/** 200 subscribers: 150 confirmed, 30 unconfirmed, 20 unsubscribed; names in Chinese, accented, emoji, hostile. */
function people(): { input: SubscriberInput; status: SubscriptionStatus }[] {
  const names = ['王小明', 'Zoë Dubois', 'Alex 🚀', '<script>alert(1)</script>', 'Ada Lovelace', ''];
  return Array.from({ length: 200 }, (_, i) => ({
    input: { email: i % 9 === 0 ? `Reader+${i}@Example.COM` : `reader${i}@example.com`, name: names[i % names.length] ? `${names[i % names.length]} ${i}` : '', attributes: {} },
    status: i < 150 ? 'confirmed' : i < 180 ? 'unconfirmed' : 'unsubscribed',
  }));
}

describe('the whole send path', () => {
  let stack: TestStack;
  let listId: number;
  let issueId: number;
  const everyone = people();

  beforeAll(async () => {
    stack = await startStack({ http: true, workers: true });
    const { pool, config } = stack.services;
    listId = (await createList(pool, { slug: 'weekly', name: 'ML UTD 周刊', language: 'zh-CN' })).id;
    for (const status of ['confirmed', 'unconfirmed', 'unsubscribed'] as const) {
      await upsertSubscribers(pool, listId, everyone.filter((p) => p.status === status).map((p) => p.input), status);
    }
    issueId = (await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl })).issue.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends exactly one message per confirmed subscriber, each personal, multipart and UTF-8', async () => {
    const { send } = await startSend(stack.services, issueId, 'weekly');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.send.status).toBe('finished');
    expect(outcome.counts).toMatchObject({ total: 150, sent: 150, failed: 0 });
    const { registry } = await import('../src/metrics');
    const sentMetric = await registry.getSingleMetricAsString('tidings_messages_sent_total');
    expect(sentMetric).toContain(`tidings_messages_sent_total{route="127.0.0.1:${stack.smtp.port}"} 150`);

    const received = stack.smtp.messages.filter((m) => m.raw.includes(`Feedback-ID: ${send.id}:`));
    const recipients = received.map((m) => m.to[0].toLowerCase()).sort();
    const confirmed = everyone.filter((p) => p.status === 'confirmed').map((p) => p.input.email.toLowerCase()).sort();
    expect(recipients).toEqual(confirmed);

    const byAddress = new Map(everyone.map((p) => [p.input.email.toLowerCase(), p.input]));
    for (const message of received) {
      const mail = await parse(message.raw);
      const person = byAddress.get(message.to[0].toLowerCase())!;
      expect(mail.subject).toBe('[ML UTD 32] 最新的机器学习—数据生活');
      expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
      expect(mail.text).toBeTruthy();
      expect(mail.html).toBeTruthy();
      expect(message.raw.toString('latin1')).toMatch(/Content-Type: text\/plain; charset=utf-8[\s\S]*Content-Type: text\/html; charset=utf-8/);
      const greetingName = person.name || '读者';
      expect(mail.text).toContain(`${greetingName}，你好！`);
      if (person.name.includes('<script>')) {
        expect(mail.html).not.toContain('<script>alert(1)</script>');
        expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      } else {
        expect(mail.html).toContain(greetingName.replace(/&/g, '&amp;'));
      }
      expect(mail.text).toContain('生产机器学习监控');
      const unsubscribe = rawHeaders(message.raw, 'List-Unsubscribe')[0];
      expect(unsubscribe).toMatch(new RegExp(`^<${stack.baseUrl}/unsubscribe/[A-Za-z0-9_-]+>$`));
      expect(mail.html).toContain(unsubscribe.slice(1, -1));
    }
    // Every raw header line is ASCII; those carrying encoded text are folded to at most 78 characters.
    const head = received[0].raw.toString('latin1').split('\r\n\r\n')[0];
    const fields = head.split(/\r\n(?![ \t])/);
    for (const field of fields) {
      for (const line of field.split('\r\n')) {
        expect(line).toMatch(/^[\x20-\x7e]*$/);
        expect(line.length).toBeLessThanOrEqual(/^(Subject|From|To|List-Id):/.test(field) ? 78 : 998);
      }
    }
    expect(fields.filter((f) => /^Subject:/.test(f))).toHaveLength(1);
    expect(fields.filter((f) => /^Message-ID:/.test(f))).toHaveLength(1);
    expect((await parse(received[0].raw)).from?.value[0]).toEqual({ name: '数据生活 LifeWithData', address: 'news@lifewithdata.test' });
  });

  it('follows an unsubscribe link: GET changes nothing, POST unsubscribes, the next send skips them', async () => {
    const target = stack.smtp.messages.find((m) => m.to[0] === 'reader1@example.com')!;
    const mail = await parse(target.raw);
    const url = rawHeaders(target.raw, 'List-Unsubscribe')[0].slice(1, -1);
    const subscriber = await stack.services.pool.query<{ id: number }>("SELECT id FROM subscribers WHERE email = 'reader1@example.com'");
    const subscriberId = subscriber.rows[0].id;

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(await getSubscriptionStatus(stack.services.pool, listId, subscriberId)).toBe('confirmed');

    const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    expect(post.status).toBe(200);
    expect(await getSubscriptionStatus(stack.services.pool, listId, subscriberId)).toBe('unsubscribed');
    const again = await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    expect(again.status).toBe(200);
    const events = await stack.services.pool.query("SELECT count(*)::int AS n FROM events WHERE type = 'unsubscribe' AND subscriber_id = $1", [subscriberId]);
    expect(events.rows[0].n).toBe(1);

    const before = stack.smtp.messages.length;
    const { send } = await startSend(stack.services, issueId, 'weekly', { again: true, includePrevious: true });
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 149, sent: 149 });
    const second = stack.smtp.messages.slice(before).map((m) => m.to[0]);
    expect(second).toHaveLength(149);
    expect(second).not.toContain('reader1@example.com');
  });

  it('shows the web version with the personal parts neutralised', async () => {
    const res = await fetch(`${stack.baseUrl}/archive/ml-utd-32`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('读者，你好！');
    expect(html).toContain('ML UTD 周刊');
    expect(html).not.toMatch(/%%tidings:/);
    expect(html).not.toMatch(/\/unsubscribe\/[A-Za-z0-9_-]{20,}/);
    expect(html).not.toMatch(/\/o\/[A-Za-z0-9_-]{20,}/);
    expect((await fetch(`${stack.baseUrl}/archive/no-such-issue`)).status).toBe(404);
  });
});
