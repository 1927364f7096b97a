import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/app/services';
import { waitForSend } from '../src/cli/progress';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { EventBuffer } from '../src/db/event-buffer';
import { createList, getListTracking, setListTracking } from '../src/db/lists';
import type { Pool } from '../src/db/pool';
import { upsertSubscribers } from '../src/db/subscribers';
import type { CapturedMessage } from '../src/mail/capture-server';
import { createIssueFromFile } from '../src/issues/create-issue';
import { extractLinks } from '../src/security/tracked-links';
import { startSend } from '../src/send/start-send';
import { parse, startStack, type TestStack } from './helpers';

const BROWSER = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';

interface EventRow {
  type: string;
  flags: string[];
  machine: boolean;
  data: { linkId?: number };
}

describe('open and click tracking', () => {
  let stack: TestStack;
  let pool: Pool;
  let tracked: CapturedMessage[];
  let untracked: CapturedMessage[];
  let issueLinks: string[];
  let otherIssueId: number;

  const eventsOf = async (email: string, type: string): Promise<EventRow[]> => {
    await stack.services.events.flush();
    const { rows } = await pool.query<EventRow>(
      `SELECT e.type, e.flags, e.machine, e.data FROM events e JOIN subscribers s ON s.id = e.subscriber_id
       WHERE s.email = $1 AND e.type = $2 ORDER BY e.id`,
      [email, type],
    );
    return rows;
  };
  const clickUrls = async (message: CapturedMessage) =>
    [...String((await parse(message.raw)).html).matchAll(/href="([^"]+\/c\/[^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  const ageDeliveries = () => pool.query("UPDATE deliveries SET sent_at = now() - interval '1 hour'");

  beforeAll(async () => {
    stack = await startStack({ http: true, workers: true });
    pool = stack.services.pool;
    const { config } = stack.services;
    const on = await createList(pool, { slug: 'tracked', name: 'Tracked' });
    const off = await createList(pool, { slug: 'private', name: 'Private' });
    await setListTracking(pool, 'private', false);
    await upsertSubscribers(pool, on.id, [1, 2, 3, 4].map((i) => ({ email: `t${i}@example.com`, name: `T${i}`, attributes: {} })), 'confirmed');
    await upsertSubscribers(pool, off.id, [1, 2].map((i) => ({ email: `u${i}@example.com`, name: `U${i}`, attributes: {} })), 'confirmed');
    const { issue } = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl });
    issueLinks = extractLinks(issue.html);
    for (const list of ['tracked', 'private']) {
      const { send } = await startSend(stack.services, issue.id, list);
      await waitForSend(stack.services, send.id, { bar: false });
    }
    tracked = stack.smtp.messages.filter((m) => m.to[0].startsWith('t'));
    untracked = stack.smtp.messages.filter((m) => m.to[0].startsWith('u'));
    // Another issue whose link 999 points elsewhere: a click token of this issue's deliveries must not reach it.
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO issues (slug, subject, template, source, source_hash, html, text) VALUES ('other', 'Other', 'default', '', 'x', '<p></p>', '') RETURNING id`,
    );
    otherIssueId = rows[0].id;
    await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) VALUES ($1, 999, 'https://other.example/')`, [otherIssueId]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('rewrites every http(s) link of the issue to /c/<token>/<linkId> and stores the numbering once', async () => {
    expect(issueLinks.length).toBeGreaterThan(10);
    const urls = await clickUrls(tracked[0]);
    const ids = new Set(urls.map((u) => Number(u.split('/').pop())));
    expect([...ids].sort((a, b) => a - b)).toEqual(issueLinks.map((_, i) => i + 1));
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM issue_links WHERE issue_id <> $1', [otherIssueId]);
    expect(rows[0].n).toBe(issueLinks.length);
  });

  it('redirects a click to the stored target, records it once, unflagged for a person', async () => {
    await ageDeliveries();
    const url = (await clickUrls(tracked[0])).find((u) => u.endsWith('/3'))!;
    const res = await fetch(`${url}?url=https://evil.example/`, { redirect: 'manual', headers: { 'user-agent': BROWSER } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(issueLinks[2]);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await eventsOf(tracked[0].to[0], 'click')).toEqual([{ type: 'click', flags: [], machine: false, data: expect.objectContaining({ linkId: 3 }) }]);
  });

  it('flags suspected scanner clicks instead of dropping them: HEAD, scanner agents, too soon after sending, every link at once', async () => {
    const email = tracked[1].to[0];
    await pool.query("UPDATE deliveries SET sent_at = now() WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = $1)", [email]);
    const urls = await clickUrls(tracked[1]);
    const byId = (id: number) => urls.find((u) => u.endsWith(`/${id}`))!;
    expect((await fetch(byId(1), { method: 'HEAD', redirect: 'manual', headers: { 'user-agent': BROWSER } })).status).toBe(302);
    expect((await fetch(byId(2), { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel)' } })).status).toBe(302);
    expect((await fetch(byId(4), { redirect: 'manual', headers: { 'user-agent': BROWSER } })).status).toBe(302);
    const events = await eventsOf(email, 'click');
    expect(events).toHaveLength(3);
    expect(events[0].flags).toEqual(expect.arrayContaining(['head', 'too_fast']));
    expect(events[1].flags).toEqual(expect.arrayContaining(['scanner_agent', 'too_fast']));
    expect(events[2].flags).toEqual(expect.arrayContaining(['too_fast', 'burst']));
    expect(events.every((e) => e.machine)).toBe(true);
  });

  it('answers 404 for a link id of another issue, an unknown link id, a tampered or a cross-purpose token', async () => {
    const url = (await clickUrls(tracked[2]))[0];
    const base = url.slice(0, url.lastIndexOf('/'));
    const token = base.split('/c/')[1];
    const pixelToken = /\/o\/([A-Za-z0-9_-]+)/.exec(String((await parse(tracked[2].raw)).html))![1];
    const flipped = token.slice(0, 8) + (token[8] === 'A' ? 'B' : 'A') + token.slice(9);
    for (const bad of [`${base}/999`, `${base}/${issueLinks.length + 1}`, `${base}/0`, `${base}/-1`, `${base}/1x`, `${stack.baseUrl}/c/${flipped}/1`, `${stack.baseUrl}/c/${pixelToken}/1`]) {
      const res = await fetch(bad, { redirect: 'manual' });
      expect(res.status, bad).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    }
    expect(await eventsOf(tracked[2].to[0], 'click')).toEqual([]);
  });

  it('flags machine opens (Apple Mail Privacy Protection, Google image proxy) and stores them', async () => {
    const pixel = /src="([^"]+\/o\/[^"]+)"/.exec(String((await parse(tracked[3].raw)).html))![1];
    for (const ua of ['Mozilla/5.0', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', BROWSER]) {
      const res = await fetch(pixel, { headers: { 'user-agent': ua } });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const opens = await eventsOf(tracked[3].to[0], 'open');
    expect(opens.map((o) => o.flags)).toEqual([['apple_mpp'], ['google_proxy'], []]);
  });

  it('sends plain links and no pixel on a list with tracking off', async () => {
    expect(untracked).toHaveLength(2);
    for (const message of untracked) {
      const html = String((await parse(message.raw)).html);
      expect(html).not.toMatch(/\/c\/[A-Za-z0-9_-]+\/\d+/);
      expect(html).not.toMatch(/\/o\/[A-Za-z0-9_-]+/);
      expect(html).not.toContain('%%tidings:');
      expect(html).toContain(`href="${issueLinks[0].replace(/&/g, '&amp;').replace(/=/g, '&#x3D;')}"`);
    }
  });

  it('`tidings list tracking <list> off|on` switches a list, and names a bad value', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)('node', ['bin/tidings.mjs', 'list', 'tracking', ...args], { cwd: path.resolve(__dirname, '..'), env: { ...process.env, ...stack.env } });
    const listId = (await pool.query<{ id: number }>("SELECT id FROM lists WHERE slug = 'tracked'")).rows[0].id;
    const { stdout } = await run('tracked', 'off', '--json');
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ slug: 'tracked', tracking: false });
    expect(await getListTracking(pool, listId)).toBe(false);
    await run('tracked', 'on');
    expect(await getListTracking(pool, listId)).toBe(true);
    await expect(run('tracked', 'maybe')).rejects.toMatchObject({ stderr: expect.stringContaining("tracking must be 'on' or 'off'") });
    await expect(run('nope', 'on')).rejects.toMatchObject({ stderr: expect.stringContaining("list 'nope' does not exist") });
  });
});

describe('event buffer', () => {
  let stack: TestStack;
  let deliveryId: number;

  beforeAll(async () => {
    stack = await startStack({ workers: true });
    const { pool, config } = stack.services;
    const list = await createList(pool, { slug: 'buf', name: 'Buffer' });
    await upsertSubscribers(pool, list.id, [{ email: 'b@example.com', name: 'B', attributes: {} }], 'confirmed');
    const { issue } = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl });
    const { send } = await startSend(stack.services, issue.id, 'buf');
    await waitForSend(stack.services, send.id, { bar: false });
    deliveryId = (await pool.query<{ id: number }>('SELECT id FROM deliveries LIMIT 1')).rows[0].id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const opens = async () => (await stack.services.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE type = 'open'")).rows[0].n;
  const event = () => ({ type: 'open' as const, deliveryId, occurredAt: new Date(), flags: [], data: {} });

  it('writes 1,200 events in batches of at most 500 rows (3 INSERTs), and nothing before a batch is due', async () => {
    const inserts: number[] = [];
    const counting = {
      query: (text: string, values: unknown[][]) => {
        if (text.includes('INSERT INTO events')) inserts.push(values[0].length);
        return stack.services.pool.query(text, values);
      },
    } as unknown as Pool;
    const buffer = new EventBuffer(counting, pino({ level: 'silent' }), { maxSize: 500, maxWaitMs: 60_000 });
    const before = await opens();
    for (let i = 0; i < 1200; i++) buffer.add(event());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inserts).toEqual([500, 500]);
    await buffer.close();
    expect(inserts).toEqual([500, 500, 200]);
    expect((await opens()) - before).toBe(1200);
  });

  it('flushes what is buffered when the services close (graceful shutdown)', async () => {
    const services = createServices(stack.config, pino({ level: 'silent' }));
    const before = await opens();
    for (let i = 0; i < 37; i++) services.events.add(event());
    await services.close();
    expect((await opens()) - before).toBe(37);
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  let stack: TestStack;
  afterAll(async () => {
    await stack?.close();
  });

  it("takes the client's address from X-Forwarded-For: an Apple proxy address flags the open", async () => {
    stack = await startStack({ http: true, env: { TRUST_PROXY: 'loopback' } });
    const { pool, links } = stack.services;
    const list = await createList(pool, { slug: 'proxied', name: 'Proxied' });
    const { subscriberIds } = await upsertSubscribers(pool, list.id, [{ email: 'p@example.com', name: '', attributes: {} }], 'confirmed');
    const issue = await pool.query<{ id: number }>(`INSERT INTO issues (slug, subject, template, source, source_hash, html, text) VALUES ('p', 'P', 'default', '', 'p', '', '') RETURNING id`);
    const send = await pool.query<{ id: number }>('INSERT INTO sends (issue_id, list_id) VALUES ($1, $2) RETURNING id', [issue.rows[0].id, list.id]);
    const delivery = await pool.query<{ id: number }>('INSERT INTO deliveries (send_id, subscriber_id) VALUES ($1, $2) RETURNING id', [send.rows[0].id, subscriberIds[0]]);
    const pixel = links.openPixel(delivery.rows[0].id);
    await fetch(pixel, { headers: { 'user-agent': BROWSER, 'x-forwarded-for': '17.58.1.1' } });
    await fetch(pixel, { headers: { 'user-agent': BROWSER, 'x-forwarded-for': '203.0.113.9' } });
    await stack.services.events.flush();
    const { rows } = await pool.query<{ flags: string[] }>("SELECT flags FROM events WHERE type = 'open' ORDER BY id");
    expect(rows.map((r) => r.flags)).toEqual([['apple_mpp'], []]);
  });
});
