import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import { countEvents } from '../src/db/events';
import { createIssueFromFile } from '../src/issues/create-issue';
import { startSend } from '../src/send/start-send';
import { waitForSend } from '../src/cli/progress';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { PIXEL_GIF } from '../src/http/routes/tracking';
import { parse, startStack, type TestStack } from './helpers';

describe('open pixel', () => {
  let stack: TestStack;
  let pixelUrls: Map<string, string>;
  let deliveryOf: Map<string, number>;

  beforeAll(async () => {
    stack = await startStack({ http: true, workers: true });
    const { pool, config } = stack.services;
    const list = await createList(pool, { slug: 'pixels', name: 'Pixels <b>&</b>' });
    await upsertSubscribers(pool, list.id, [1, 2, 3].map((i) => ({ email: `p${i}@example.com`, name: `P${i}`, attributes: {} })), 'confirmed');
    const { issue } = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl });
    const { send } = await startSend(stack.services, issue.id, 'pixels');
    await waitForSend(stack.services, send.id, { bar: false });
    pixelUrls = new Map();
    for (const message of stack.smtp.messages) {
      const html = String((await parse(message.raw)).html);
      pixelUrls.set(message.to[0], /src="([^"]+\/o\/[^"]+)"/.exec(html)![1]);
    }
    const { rows } = await pool.query<{ email: string; id: number }>('SELECT s.email, d.id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id');
    deliveryOf = new Map(rows.map((r) => [r.email, r.id]));
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('records one open event for the right delivery and serves the 43-byte GIF', async () => {
    const res = await fetch(pixelUrls.get('p2@example.com')!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('set-cookie')).toBeNull();
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(43);
    expect(body.equals(PIXEL_GIF)).toBe(true);
    // Opens are written in batches: write what is buffered before counting.
    await stack.services.events.flush();
    expect(await countEvents(stack.services.pool, 'open', deliveryOf.get('p2@example.com')!)).toBe(1);
    expect(await countEvents(stack.services.pool, 'open', deliveryOf.get('p1@example.com')!)).toBe(0);
    expect(await countEvents(stack.services.pool, 'open', deliveryOf.get('p3@example.com')!)).toBe(0);
  });

  it('escapes the list name in the HTML part and keeps it as written in the text part', async () => {
    const mail = await parse(stack.smtp.messages[0].raw);
    expect(mail.html).toContain('Pixels &lt;b&gt;&amp;&lt;/b&gt;');
    expect(mail.html).not.toContain('Pixels <b>');
    expect(mail.text).toContain('Pixels <b>&</b>');
  });

  it('records nothing for a tampered token and answers 4xx (still with the image)', async () => {
    const url = pixelUrls.get('p3@example.com')!;
    const token = url.split('/o/')[1];
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    const before = await stack.services.pool.query("SELECT count(*)::int AS n FROM events WHERE type = 'open'");
    for (const bad of [flipped, token.slice(0, -2), 'not-a-token', token + 'AA']) {
      const res = await fetch(`${stack.baseUrl}/o/${bad}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toBe('image/gif');
    }
    // An unsubscribe token is not an open token.
    const unsubscribeToken = String((await parse(stack.smtp.messages[0].raw)).html).match(/\/unsubscribe\/([A-Za-z0-9_-]+)/)![1];
    expect((await fetch(`${stack.baseUrl}/o/${unsubscribeToken}`)).status).toBe(404);
    const after = await stack.services.pool.query("SELECT count(*)::int AS n FROM events WHERE type = 'open'");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('refuses a tampered unsubscribe token and changes nothing', async () => {
    const token = String((await parse(stack.smtp.messages[0].raw)).html).match(/\/unsubscribe\/([A-Za-z0-9_-]+)/)![1];
    const tampered = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    const res = await fetch(`${stack.baseUrl}/unsubscribe/${tampered}`, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(400);
    const { rows } = await stack.services.pool.query("SELECT count(*)::int AS n FROM subscriptions WHERE status = 'unsubscribed'");
    expect(rows[0].n).toBe(0);
  });

  it('answers /healthz with the state of PostgreSQL and Redis', async () => {
    const res = await fetch(`${stack.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', postgres: 'ok', redis: 'ok' });
  });
});
