import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { createList } from '../src/db/lists';
import { createIssueFromFile } from '../src/issues/create-issue';
import { startSend } from '../src/send/start-send';
import { getSubscriptionStatus, upsertSubscribers } from '../src/db/subscribers';
import { rawHeaders, startStack, waitFor, type TestStack } from './helpers';

describe('unsubscribe (one-click, all lists) and the preferences page', () => {
  let stack: TestStack;
  let lists: number[];
  const person = async (email: string) => {
    const { pool } = stack.services;
    const ids: number[] = [];
    for (const listId of lists) ids.push(...(await upsertSubscribers(pool, listId, [{ email, name: '<b>Ada</b>', attributes: { city: 'Zürich' } }], 'confirmed')).subscriberIds);
    return ids[0];
  };
  const statuses = async (subscriberId: number) => Promise.all(lists.map((l) => getSubscriptionStatus(stack.services.pool, l, subscriberId)));

  beforeAll(async () => {
    stack = await startStack({ http: true });
    const { pool } = stack.services;
    lists = [(await createList(pool, { slug: 'a', name: 'List A' })).id, (await createList(pool, { slug: 'b', name: 'List B 周刊' })).id];
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('RFC 8058 one-click as multipart/form-data: 200, no redirect, no cookie, this list only, repeatable', async () => {
    const id = await person('one@example.com');
    const url = stack.services.links.unsubscribe(id, lists[0], 0);
    const body = new FormData();
    body.set('List-Unsubscribe', 'One-Click');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url, { method: 'POST', body, redirect: 'manual' });
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await statuses(id)).toEqual(['unsubscribed', 'confirmed']);
    const events = await stack.services.pool.query("SELECT count(*)::int AS n FROM events WHERE type = 'unsubscribe' AND subscriber_id = $1", [id]);
    expect(events.rows[0].n).toBe(1);
  });

  it('the page offers this list, all lists and the preferences page; GET changes nothing; "all lists" leaves every list', async () => {
    const id = await person('all@example.com');
    const url = stack.services.links.unsubscribe(id, lists[1], 0);
    const page = await (await fetch(url)).text();
    expect(page).toContain('Unsubscribe from “List B 周刊”?');
    expect(page).toContain('name="scope" value="all"');
    expect(page).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/preferences\/[A-Za-z0-9_-]+"/);
    expect(await statuses(id)).toEqual(['confirmed', 'confirmed']);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'scope=all' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('any of our newsletters');
    expect(await statuses(id)).toEqual(['unsubscribed', 'unsubscribed']);
  });

  it('preferences: shows lists and data (escaped), changes lists, downloads JSON, deletes on confirmation only', async () => {
    const id = await person('prefs@example.com');
    await stack.services.pool.query('UPDATE subscriptions SET status = $3 WHERE subscriber_id = $1 AND list_id = $2', [id, lists[1], 'unsubscribed']);
    const url = stack.services.links.preferences(id);
    const page = await (await fetch(url)).text();
    expect(page).toContain('prefs@example.com');
    expect(page).toContain(`name="list" value="${lists[0]}" checked`);
    expect(page).toContain(`name="list" value="${lists[1]}">`);

    const save = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `list=${lists[1]}` });
    expect(save.status).toBe(200);
    expect(await statuses(id)).toEqual(['unsubscribed', 'confirmed']);

    const data = await fetch(`${url}/data.json`);
    expect(data.headers.get('content-disposition')).toContain('attachment');
    const json = (await data.json()) as { subscriber: { email: string; name: string; attributes: unknown }; subscriptions: { slug: string; status: string }[] };
    expect(json.subscriber).toMatchObject({ email: 'prefs@example.com', name: '<b>Ada</b>', attributes: { city: 'Zürich' } });
    expect(json.subscriptions.map((s) => [s.slug, s.status])).toEqual([['a', 'unsubscribed'], ['b', 'confirmed']]);

    const unconfirmed = await fetch(`${url}/delete`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(unconfirmed.status).toBe(400);
    expect((await stack.services.pool.query('SELECT 1 FROM subscribers WHERE id = $1', [id])).rowCount).toBe(1);
    const deleted = await fetch(`${url}/delete`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'confirm=yes' });
    expect(deleted.status).toBe(200);
    expect((await stack.services.pool.query('SELECT 1 FROM subscribers WHERE id = $1', [id])).rowCount).toBe(0);
    expect((await stack.services.pool.query('SELECT 1 FROM subscriptions WHERE subscriber_id = $1', [id])).rowCount).toBe(0);
    expect((await fetch(url)).status).toBe(400);
  });
});

describe('one-click unsubscribe during a running send', () => {
  let stack: TestStack;
  afterAll(async () => {
    await stack?.close();
  });

  it('takes effect before the next email: a reader who leaves mid-send receives nothing more', async () => {
    // 20 messages per second: the send of 60 takes about 3 seconds, time to leave half-way.
    stack = await startStack({ http: true, workers: true, env: { SEND_RATE: '20' } });
    const { pool, config } = stack.services;
    const list = await createList(pool, { slug: 'running', name: 'Running' });
    await upsertSubscribers(pool, list.id, Array.from({ length: 60 }, (_, i) => ({ email: `r${i}@example.com`, name: '', attributes: {} })), 'confirmed');
    const { issue } = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl });
    const { send } = await startSend(stack.services, issue.id, 'running');
    const first = await waitFor(async () => stack.smtp.messages[0]);
    // Readers whose delivery is still queued leave through their own one-click links.
    const { rows } = await pool.query<{ id: number; subscriberId: number }>(
      `SELECT id, subscriber_id AS "subscriberId" FROM deliveries WHERE send_id = $1 AND status = 'queued' ORDER BY id DESC LIMIT 5`,
      [send.id],
    );
    expect(rows.length).toBe(5);
    for (const row of rows) {
      const res = await fetch(stack.services.links.unsubscribe(row.subscriberId, list.id, row.id), { method: 'POST', body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
      expect(res.status).toBe(200);
    }
    expect(rawHeaders(first.raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 60, sent: 55 });
    const { rows: left } = await pool.query<{ email: string }>('SELECT email FROM subscribers WHERE id = ANY($1)', [rows.map((r) => r.subscriberId)]);
    const received = new Set(stack.smtp.messages.map((m) => m.to[0]));
    for (const { email } of left) expect(received.has(email)).toBe(false);
  });
});
