import { parseDocument, DomUtils } from 'htmlparser2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { setListArchive } from '../src/db/archive';
import { startSend } from '../src/send/control';
import { seedSend, startStack, type TestStack } from './helpers';

// Issue 11.2 and issue 12 "Archive": only sent issues of lists with a public archive are public.
const ADMIN_TOKEN = 'archive-admin-token-0123456789';
let stack: TestStack;
let issueId: number;
let draftId: number;
beforeAll(async () => {
  stack = await startStack({ http: true, workers: true, env: { ADMIN_TOKEN } });
  ({ issueId } = await seedSend(stack, 'weekly', 2));
  const { pool } = stack.services;
  // Hand-made issues with known dates: an older sent one, a draft, one only scheduled, one on a private list.
  const issue = async (slug: string, subject: string) =>
    (await pool.query<{ id: number }>(
      `INSERT INTO issues (slug, subject, preheader, template, source, source_hash, html, text)
       VALUES ($1, $2, 'Preheader of ' || $2, 'default', 'x', 'x', '<p>' || $2 || ' for %%tidings:name%%</p>', 'x') RETURNING id`,
      [slug, subject],
    )).rows[0].id;
  const send = (issue: number, list: number, status: string, startedAt: string | null) =>
    pool.query('INSERT INTO sends (issue_id, list_id, status, started_at) VALUES ($1, $2, $3, $4)', [issue, list, status, startedAt]);
  const weekly = (await pool.query<{ id: number }>("SELECT id FROM lists WHERE slug = 'weekly'")).rows[0].id;
  const hidden = (await pool.query<{ id: number }>("INSERT INTO lists (slug, name, archive_public) VALUES ('hidden', 'Hidden', false) RETURNING id")).rows[0].id;
  await send(await issue('old-one', 'An older issue'), weekly, 'finished', '2026-01-05T08:00:00Z');
  draftId = await issue('draft', 'A draft');
  await send(await issue('planned', 'Planned'), weekly, 'scheduled', null);
  await send(await issue('cancelled-early', 'Cancelled early'), weekly, 'cancelled', '2026-02-01T08:00:00Z');
  await send(await issue('private-one', 'Private'), hidden, 'finished', '2026-03-01T08:00:00Z');
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.baseUrl}${path}`, { headers });

describe('the web version', () => {
  it('answers the same 404 for an unsent issue, its id, a private list\'s issue and a slug that never existed', async () => {
    const missing = await get('/archive/no-such-issue');
    expect(missing.status).toBe(404);
    const body = await missing.text();
    for (const path of ['/archive/draft', `/archive/${draftId}`, `/archive/${issueId}`, '/archive/planned', '/archive/cancelled-early', '/archive/private-one', '/archive/ml-utd-32']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe(body);
    }
  });

  it('is public once the issue was sent, and private again when the list turns its archive off', async () => {
    const { send } = await startSend(stack.services, issueId, 'weekly');
    await waitForSend(stack.services, send.id, { bar: false });
    const res = await get('/archive/ml-utd-32');
    expect(res.status).toBe(200);
    // seedSend's list is English: the web version shows its rendering.
    expect(await res.text()).toContain('Hi 读者,');
    expect((await get('/archive/old-one')).status).toBe(200);

    await setListArchive(stack.services.pool, 'weekly', false);
    expect((await get('/archive/ml-utd-32')).status).toBe(404);
    expect((await get('/archive?list=weekly')).status).toBe(404);
    expect((await get('/archive/feed.xml?list=weekly')).status).toBe(404);
    await setListArchive(stack.services.pool, 'weekly', true);
  });

  it('lets operators preview a draft through the authenticated API, never the public archive', async () => {
    expect((await get('/api/issues/draft/preview')).status).toBe(401);
    const res = await get('/api/issues/draft/preview', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('A draft for ');
    expect(html).not.toContain('%%tidings:');
  });
});

describe('the archive index and its Atom feed', () => {
  it('lists the sent issues newest first, and nothing else', async () => {
    const res = await get('/archive?list=weekly');
    expect(res.status).toBe(200);
    const doc = parseDocument(await res.text());
    const titles = DomUtils.findAll((e) => e.name === 'a' && (e.parent as { name?: string } | null)?.name === 'li', doc.children).map((a) => DomUtils.textContent(a));
    expect(titles).toEqual(['[ML UTD 32] 最新的机器学习—数据生活', 'An older issue']);
    const feedLink = DomUtils.findOne((e) => e.name === 'link' && e.attribs.rel === 'alternate', doc.children);
    expect(feedLink?.attribs.href).toBe(`${stack.baseUrl}/archive/feed.xml?list=weekly`);

    const all = await (await get('/archive')).text();
    expect(all).toContain('An older issue');
    for (const hidden of ['A draft', 'Planned', 'Cancelled early', 'Private']) expect(all).not.toContain(hidden);
  });

  it('serves the same entries as Atom, with links to the web versions', async () => {
    const res = await get('/archive/feed.xml?list=weekly');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const doc = parseDocument(await res.text(), { xmlMode: true });
    const feed = DomUtils.findOne((e) => e.name === 'feed', doc.children)!;
    expect(feed.attribs.xmlns).toBe('http://www.w3.org/2005/Atom');
    expect(DomUtils.textContent(DomUtils.findOne((e) => e.name === 'title' && e.parent === feed, doc.children)!)).toBe('List weekly');
    const entries = DomUtils.findAll((e) => e.name === 'entry', doc.children);
    expect(entries).toHaveLength(2);
    const links = entries.map((e) => DomUtils.findOne((l) => l.name === 'link', e.children)!.attribs.href);
    expect(links).toEqual([`${stack.baseUrl}/archive/ml-utd-32`, `${stack.baseUrl}/archive/old-one`]);
    const older = entries[1];
    expect(DomUtils.textContent(DomUtils.findOne((e) => e.name === 'updated', older.children)!)).toBe('2026-01-05T08:00:00.000Z');
    expect(DomUtils.textContent(DomUtils.findOne((e) => e.name === 'summary', older.children)!)).toBe('Preheader of An older issue');
    for (const link of links) expect((await fetch(link)).status).toBe(200);
  });
});
