import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveIssue } from '../src/db/issues';
import { createList } from '../src/db/lists';
import { ClickTargets } from '../src/http/click-targets';
import type { Pool } from '../src/db/pool';
import { securityHeaders } from '../src/http/security-headers';
import { startStack, type TestStack } from './helpers';

// GET /o/:token and /c/:token/:linkId are answered on node:http before Express (src/http/tracking-hits.ts).
describe('tracking fast path', () => {
  let stack: TestStack;
  let deliveryIds: number[];
  const LINKS = ['https://example.com/a', 'https://example.com/b?x=1&y=2', 'https://例子.example/路径'];

  beforeAll(async () => {
    stack = await startStack({ http: true });
    const { pool } = stack.services;
    const list = await createList(pool, { slug: 'fast', name: 'Fast' });
    const { issue } = await saveIssue(pool, { slug: 'fast', subject: 'Fast', preheader: '', template: 'default', defaultName: '', source: '', sourceHash: 'fast', html: '<p></p>', text: '', language: 'en', renderings: [] });
    await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) SELECT $1, n::int, url FROM unnest($2::text[]) WITH ORDINALITY AS l (url, n)`, [issue.id, LINKS]);
    await pool.query(`INSERT INTO subscribers (email) SELECT 'fast' || g || '@example.com' FROM generate_series(1, 100) g`);
    const { rows: sends } = await pool.query<{ id: number }>('INSERT INTO sends (issue_id, list_id, status) VALUES ($1, $2, $3) RETURNING id', [issue.id, list.id, 'finished']);
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO deliveries (send_id, subscriber_id, status, sent_at) SELECT $1, id, 'sent', now() - interval '1 hour' FROM subscribers ORDER BY id RETURNING id`,
      [sends[0].id],
    );
    deliveryIds = rows.map((r) => r.id);
  }, 60_000);
  afterAll(async () => stack?.close());

  const count = async (type: string) => {
    await stack.services.events.flush();
    return (await stack.services.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE type = $1', [type])).rows[0].n;
  };
  const path = (url: string) => new URL(url).pathname;

  it('answers with the same security headers as every Express page', async () => {
    const pixel = await fetch(stack.services.links.openPixel(deliveryIds[0]));
    const expressPage = await fetch(`${stack.baseUrl}/no-such-page`);
    expect(pixel.status).toBe(200);
    expect(expressPage.status).toBe(404);
    for (const name of Object.keys(securityHeaders())) {
      expect(pixel.headers.get(name), name).toBe(expressPage.headers.get(name));
      expect(pixel.headers.get(name), name).toBeTruthy();
    }
    expect(pixel.headers.get('set-cookie')).toBeNull();
    expect(pixel.headers.get('x-powered-by')).toBeNull();
  });

  it('leaves unusual paths to Express, which answers them the same way', async () => {
    const before = await count('open');
    const token = path(stack.services.links.openPixel(deliveryIds[1])).split('/')[2];
    const trailing = await fetch(`${stack.baseUrl}/o/${token}/`);
    expect(trailing.status).toBe(200);
    expect(trailing.headers.get('content-type')).toBe('image/gif');
    expect(await count('open')).toBe(before + 1);
    expect((await fetch(`${stack.baseUrl}/o/`)).status).toBe(404);
    expect((await fetch(`${stack.baseUrl}/c/${token}`)).status).toBe(404);
  });

  it('redirects 300 concurrent clicks on 100 deliveries to their stored targets, every one recorded', async () => {
    const before = await count('click');
    const clicks = Array.from({ length: 300 }, (_, i) => ({ deliveryId: deliveryIds[i % 100], linkId: (i % 3) + 1 }));
    const answers = await Promise.all(
      clicks.map((c) => fetch(`${stack.services.links.clickBase(c.deliveryId)}/${c.linkId}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(300).fill(302));
    // Non-ASCII targets are percent-encoded in Location, as Express's res.redirect does.
    const locations = ['https://example.com/a', 'https://example.com/b?x=1&y=2', 'https://%E4%BE%8B%E5%AD%90.example/%E8%B7%AF%E5%BE%84'];
    expect(answers.map((a) => a.headers.get('location'))).toEqual(clicks.map((c) => locations[c.linkId - 1]));
    expect(await count('click')).toBe(before + 300);
    // A link id the issue does not have, and a tampered token: 404, nothing recorded.
    expect((await fetch(`${stack.services.links.clickBase(deliveryIds[0])}/4`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${stack.services.links.clickBase(deliveryIds[0])}x/1`, { redirect: 'manual' })).status).toBe(404);
    expect(await count('click')).toBe(before + 300);
  });
});

describe('click target batching', () => {
  it('looks up the clicks of one event-loop turn in one statement, and each click gets its own answer', async () => {
    const statements: { values: number[][] }[] = [];
    const pool = {
      query: async (statement: { values: number[][] }) => {
        statements.push(statement);
        const [deliveries, links] = statement.values;
        // Link 9 exists nowhere; the others point at a URL naming the click.
        const rows = deliveries.flatMap((d, index) => (links[index] === 9 ? [] : [{ index, url: `https://t.example/${d}/${links[index]}`, deliveryId: d, sentAt: null }]));
        return { rows };
      },
    } as unknown as Pool;
    const targets = new ClickTargets(pool, 50);
    const asked = Array.from({ length: 120 }, (_, i) => ({ deliveryId: 1000 + i, linkId: i % 10 }));
    const found = await Promise.all(asked.map((c) => targets.find(c.deliveryId, c.linkId)));
    expect(statements).toHaveLength(3); // 120 clicks in batches of at most 50
    expect(found.map((t) => t?.url)).toEqual(asked.map((c) => (c.linkId === 9 ? undefined : `https://t.example/${c.deliveryId}/${c.linkId}`)));
    // Later clicks start a new batch.
    expect((await targets.find(7, 1))?.url).toBe('https://t.example/7/1');
    expect(statements).toHaveLength(4);
  });
});
