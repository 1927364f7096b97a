import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIST } from '../src/http/app-dist';
import { createOperator, login } from './app-operator-helpers';
import { parse, startStack, waitFor, type TestStack } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
// docs/app/ is rewritten only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
const SHOTS = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL('../docs/app', import.meta.url)) : path.join(tmpdir(), `tidings-app-${process.pid}`);
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const FIXTURES = fileURLToPath(new URL('./fixtures/imports', import.meta.url));
const HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">';
const ready = existsSync(CHROMIUM) && existsSync(path.join(APP_DIST, 'manifest.json'));

let stack: TestStack;
let browser: Browser;
let owner: { email: string; password: string };
const problems: string[] = [];

beforeAll(async () => {
  if (!ready) return;
  stack = await startStack({ http: true, workers: true, env: { MEDIA_DIR: mkdtempSync(path.join(tmpdir(), 'tidings-app-media-')) } });
  owner = await createOperator(stack.services.pool, 'ada@example.com', 'owner');
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A logged-in context whose browser language is `locale`; console errors and failed requests are collected. */
async function session(locale: string, viewport = { width: 1280, height: 860 }): Promise<{ context: BrowserContext; page: Page }> {
  // Reduced motion: progress bars are drawn where they are, not half-way through their transition.
  const context = await browser.newContext({ locale, viewport, acceptDownloads: true, reducedMotion: 'reduce' });
  const page = await context.newPage();
  watch(page);
  await page.goto(`${stack.baseUrl}/admin`);
  await page.waitForURL(/\/admin\/login\?next=/);
  await page.getByLabel(locale.startsWith('zh') ? '邮箱地址' : 'Email address').fill(owner.email);
  await page.getByLabel(locale.startsWith('zh') ? '密码' : 'Password', { exact: true }).fill(owner.password);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'));
  await page.locator('#sidenav').waitFor({ state: 'attached' });
  return { context, page };
}

function watch(page: Page): void {
  page.on('pageerror', (err) => problems.push(`pageerror ${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console ${page.url()}: ${msg.text()}`);
  });
  page.on('response', (res) => {
    // 401 from /api/session is how the app learns it must log in; a media upload may not exist yet.
    if (res.status() >= 500) problems.push(`${res.status()} ${res.url()}`);
  });
}

/** axe-core on the page as it is now: no serious or critical violation. */
async function axe(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol: the app's CSP (rightly) refuses inline scripts.
  await page.evaluate(AXE);
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run(o: unknown): Promise<unknown> } }).axe.run({ resultTypes: ['violations'] }))) as {
    violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
  };
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${name}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

async function xssInert(page: Page, name: string): Promise<void> {
  expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), `script ran on ${name}`).toBeUndefined();
}

describe.skipIf(!ready)('the operator app in Chromium', () => {
  const state: { issueSlug?: string; sendId?: number; subscriberId?: number } = {};

  it('does an operator\'s week: list, import, write with preview and preflight, test, segment, send, follow, statistics, unsubscribe', async () => {
    const { context, page } = await session('en-US');
    try {
      // A list.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lists' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Weekly readers');
      await page.getByRole('button', { name: 'Create list' }).click();
      await page.getByRole('link', { name: 'Weekly readers' }).waitFor();

      // Import a CSV by upload: a hostile name, an invalid address, a city attribute.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
      const csv = ['Email Address,Name,City', 'ada@readers.test,Ada,Berlin', `bob@readers.test,"${HOSTILE.replace(/"/g, '""')}",Berlin`, 'cy@readers.test,Cy,Paris', 'not-an-address,Nobody,Rome', 'dee@readers.test,Dee,Paris'].join('\n');
      await page.setInputFiles('#csv-file', { name: 'readers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await expect.poll(() => page.getByTestId('import-shape').textContent()).toContain('Recognised as: Plain CSV');
      await expect.poll(() => page.getByTestId('dry-run').textContent()).toMatch(/Confirmed\s*4.*Rejected rows\s*1/);
      expect(await page.getByTestId('dry-run-rejected').textContent()).toContain('Line 5:');
      await page.getByRole('button', { name: /Import 5 rows/ }).click();
      await expect.poll(() => page.getByTestId('import-result').textContent(), { timeout: 30_000 }).toMatch(/Imported\s*4.*Rejected\s*1/);

      // Write an issue: the preview follows the text, a preflight error appears and goes away.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Issues' }).click();
      await page.getByRole('link', { name: 'New issue' }).first().click();
      const editor = page.locator('.cm-content');
      await editor.waitFor();
      const line = (n: number) => page.locator('.cm-line').nth(n - 1);
      // Alt+L selects the whole line (CodeMirror's default keymap); typed text replaces it.
      const replaceLine = async (n: number, text: string) => {
        await line(n).click();
        await page.keyboard.press('Alt+l');
        await page.keyboard.insertText(text);
      };
      await replaceLine(3, `subject: "Weekly news ${HOSTILE.replace(/"/g, "'")}"\n`);
      await expect.poll(() => page.locator('main h1').textContent(), { timeout: 20_000 }).toContain('Weekly news <script>');
      // The first version that renders is saved, and the page moves to the stored issue.
      await page.waitForURL(/\/admin\/issues\/issue-/, { timeout: 30_000 });
      state.issueSlug = decodeURIComponent(page.url().split('/').pop()!);
      await expect.poll(() => page.getByTestId('save-state').textContent(), { timeout: 30_000 }).toBe('All changes saved');
      const preview = page.frameLocator('[data-testid=preview]');
      await replaceLine(9, '# The Tuesday letter\n');
      await expect.poll(() => preview.locator('body').textContent(), { timeout: 20_000 }).toContain('The Tuesday letter');
      // Remove the postal address (line 7, in the front matter): preflight must object at once, at that line.
      await line(7).click();
      await page.keyboard.press('Alt+l');
      await page.keyboard.press('Backspace');
      await expect.poll(() => page.getByTestId('findings').textContent(), { timeout: 20_000 }).toMatch(/Error.*postal/i);
      expect(await page.locator('.cm-lint-marker-error').count()).toBeGreaterThan(0);
      await page.keyboard.press('Control+z');
      await expect.poll(() => page.getByTestId('findings').textContent(), { timeout: 20_000 }).not.toMatch(/Error/);
      await expect.poll(() => page.getByTestId('save-state').textContent(), { timeout: 30_000 }).toBe('All changes saved');
      await page.getByRole('radio', { name: 'Phone (375 px)' }).click();
      expect(await page.locator('[data-testid=preview]').evaluate((f) => f.getBoundingClientRect().width)).toBeLessThanOrEqual(376);

      // A test message.
      await page.getByRole('button', { name: 'Send test' }).click();
      const test = await waitFor(async () => stack.smtp.messages.find((m) => m.to.includes(owner.email)));
      expect((await parse(test.raw)).subject).toContain('Weekly news');

      // A segment of the list: readers in Berlin.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
      await page.getByRole('button', { name: 'New segment' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Berlin readers');
      await page.getByLabel('Field').selectOption('attribute');
      await page.getByLabel('Attribute', { exact: true }).fill('city');
      await page.getByLabel('Value').fill('berlin');
      await expect.poll(() => page.getByTestId('segment-count').textContent()).toContain('2 subscribers');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'Berlin readers' }).waitFor();

      // Send to the segment: count, confirm, then live progress to 100 %.
      await page.goto(`${stack.baseUrl}/admin/sends/new?issue=${encodeURIComponent(state.issueSlug)}`);
      await page.getByLabel('Segment').selectOption({ label: 'Berlin readers' });
      await expect.poll(() => page.locator('.recipients').textContent()).toContain('2 subscribers will receive it');
      await page.getByRole('button', { name: 'Review and send…' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain('goes to 2 subscribers of Weekly readers');
      // Preflight's warnings before the send is confirmed: the test server's PUBLIC_URL is on loopback.
      expect(await dialog.textContent()).toMatch(/Preflight warns \(the send can go ahead\):PUBLIC_URL http:\/\/127\.0\.0\.1:\d+ is a loopback address/);
      await dialog.getByRole('button', { name: 'Send to 2 now' }).click();
      await page.waitForURL(/\/admin\/sends\/\d+$/);
      state.sendId = Number(page.url().split('/').pop());
      await expect.poll(() => page.getByTestId('send-percent').textContent(), { timeout: 60_000 }).toBe('100 %');
      await expect.poll(() => page.locator('.badge').first().textContent(), { timeout: 30_000 }).toBe('finished');
      await page.getByRole('heading', { name: 'Statistics' }).waitFor();
      await page.getByRole('heading', { name: 'Results by recipient domain' }).waitFor();
      const sent = stack.smtp.messages.filter((m) => m.to.some((t) => t.endsWith('@readers.test')));
      expect(sent.map((m) => m.to[0]).sort()).toEqual(['ada@readers.test', 'bob@readers.test']);

      // A reader unsubscribes through the email's link; the list's count shows it.
      const mail = await parse(sent.find((m) => m.to[0] === 'ada@readers.test')!.raw);
      const link = /href="([^"]*\/unsubscribe\/[^"]+)"/.exec(String(mail.html))![1].replace(/&amp;/g, '&');
      const reader = await context.newPage();
      await reader.goto(link);
      await reader.getByRole('button', { name: 'Unsubscribe', exact: true }).click();
      await reader.waitForLoadState();
      await reader.close();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lists' }).click();
      await expect.poll(() => page.getByTestId(/^unsubscribed-/).first().textContent()).toBe('1');
      await xssInert(page, 'flow');
    } catch (err) {
      await page.screenshot({ path: path.join(SHOTS, 'failure.png'), fullPage: true }).catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
  }, 240_000);

  it('duplicates a sent issue into a new one with its own slug, which is saved once edited', async () => {
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/issues/${state.issueSlug}`);
      await page.getByText('This issue has been sent').waitFor();
      await page.getByRole('button', { name: 'Duplicate' }).click();
      await page.waitForURL(/\/admin\/issues\/new$/);
      const slugLine = page.locator('.cm-line', { hasText: 'slug:' });
      await expect.poll(() => slugLine.textContent()).toMatch(new RegExp(`^slug: ${state.issueSlug}-copy-[a-z0-9]{4}$`));
      await expect.poll(() => page.locator('.cm-content').textContent()).toContain('The Tuesday letter');
      await page.locator('.cm-line', { hasText: 'The Tuesday letter' }).click();
      await page.keyboard.press('End');
      await page.keyboard.insertText(', again');
      await page.waitForURL(/-copy-[a-z0-9]{4}$/, { timeout: 30_000 });
      await expect.poll(() => page.getByTestId('save-state').textContent(), { timeout: 30_000 }).toBe('All changes saved');
      const copy = decodeURIComponent(page.url().split('/').pop()!);
      const { rows } = await stack.services.pool.query(`SELECT slug, (SELECT count(*)::int FROM sends WHERE issue_id = issues.id) AS sends FROM issues WHERE slug IN ($1, $2) ORDER BY id`, [state.issueSlug, copy]);
      expect(rows).toEqual([{ slug: state.issueSlug, sends: 1 }, { slug: copy, sends: 0 }]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('uploads images pasted or dropped into the composer to the media store and inserts them as Markdown where they were put', async () => {
    const png = readFileSync(fileURLToPath(new URL('../public/img/letter-portrait.png', import.meta.url)));
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/issues/new`);
      const editor = page.locator('.cm-content');
      await editor.waitFor();
      // The text as CodeMirror shows it (a short issue: every line is rendered).
      const text = () => page.locator('.cm-line').evaluateAll((els) => els.map((e) => e.textContent).join('\n'));
      const lines = () => page.locator('.cm-line');
      // Paste at the end of the text, as from a screenshot tool's clipboard.
      await lines().last().click();
      await page.keyboard.press('Control+End');
      const fire = (type: 'paste' | 'drop', files: Array<{ name: string; type: string; bytes: number[] }>, at?: { x: number; y: number }) =>
        editor.evaluate((el, { type, files, at }) => {
          const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } }; File: new (b: unknown[], n: string, o: { type: string }) => unknown; Uint8Array: typeof Uint8Array; ClipboardEvent: new (t: string, o: unknown) => unknown; DragEvent: new (t: string, o: unknown) => unknown };
          const data = new g.DataTransfer();
          for (const f of files) data.items.add(new g.File([new g.Uint8Array(f.bytes)], f.name, { type: f.type }));
          const event = type === 'paste'
            ? new g.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })
            : new g.DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, clientX: at!.x, clientY: at!.y });
          (el as unknown as { dispatchEvent(e: unknown): boolean }).dispatchEvent(event);
        }, { type, files, at });
      await fire('paste', [{ name: 'chart.png', type: 'image/png', bytes: [...png] }]);
      await expect.poll(text, { timeout: 20_000 }).toMatch(/!\[chart\]\(http:\/\/127\.0\.0\.1:\d+\/media\/[^)]+\.png\)$/);
      expect(await text()).not.toContain('#upload-');
      await expect.poll(() => page.getByText('chart.png uploaded').count()).toBe(1);
      const url = /!\[chart\]\(([^)]+)\)/.exec(await text())![1];
      const served = await fetch(url);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
      // The preview renders it (the real renderer: the image at its own width).
      await expect.poll(() => page.frameLocator('[data-testid=preview]').locator(`img[src="${url}"]`).count(), { timeout: 20_000 }).toBe(1);

      // Dropped onto the start of the introduction: it lands there, not at the cursor, as a paragraph of its own.
      const intro = (await text()).split('\n').findIndex((l) => l.startsWith('Write the introduction'));
      const box = (await lines().nth(intro).boundingBox())!;
      await fire('drop', [{ name: 'portrait-again.png', type: 'image/png', bytes: [...png] }], { x: box.x + 2, y: box.y + 5 });
      await expect.poll(async () => (await text()).split('\n').slice(intro, intro + 3).join('\n'), { timeout: 20_000 }).toMatch(/^!\[portrait-again\]\(http:[^)]+\.png\)\n\nWrite the introduction/);

      // A file that only claims to be an image is refused by the server; nothing is inserted.
      const before = await text();
      await fire('paste', [{ name: 'fake.png', type: 'image/png', bytes: [...Buffer.from('not an image at all')] }]);
      await expect.poll(() => page.getByText(/fake\.png was not uploaded: .+/).count(), { timeout: 20_000 }).toBe(1);
      expect(await text()).toBe(before);
      // Markdown's marks from the keyboard.
      await lines().last().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.insertText('\nvery important');
      await page.keyboard.press('Shift+Control+ArrowLeft');
      await page.keyboard.press('Control+b');
      await expect.poll(text).toMatch(/\nvery \*\*important\*\*$/);
      await page.keyboard.press('Control+i');
      await expect.poll(text).toMatch(/\nvery \*\*\*important\*\*\*$/);
      // Chromium logs the refused upload (415) as a console error: expected here, and only here.
      const refused = problems.findIndex((p) => p.includes('415 (Unsupported Media Type)'));
      expect(refused).toBeGreaterThanOrEqual(0);
      problems.splice(refused, 1);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('keeps what was written through a network error: saved in the browser, sent when the server answers again, offered back after a reload', async () => {
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/issues/new`);
      await page.locator('.cm-content').waitFor();
      // A new issue is stored once something was written in it.
      const intro = page.locator('.cm-line', { hasText: 'Write the introduction' });
      await intro.click();
      await page.keyboard.press('Home');
      await page.keyboard.insertText('Hello. ');
      await page.waitForURL(/\/admin\/issues\/issue-\d{4}-\d{2}-\d{2}-[a-z0-9]{4}$/, { timeout: 30_000 });
      const slug = decodeURIComponent(page.url().split('/').pop()!);
      const saveState = page.getByTestId('save-state');
      await expect.poll(() => saveState.textContent(), { timeout: 30_000 }).toBe('All changes saved');
      const { cookie } = await login(stack.baseUrl, owner.email, owner.password);
      const source = async () => (await fetch(`${stack.baseUrl}/api/issues/${slug}/source`, { headers: { cookie } })).text();

      // Offline: the change stays in this browser and says so; back online, it reaches the server by itself.
      await context.setOffline(true);
      await intro.click();
      await page.keyboard.press('End');
      await page.keyboard.insertText(' Written on a train.');
      await expect.poll(() => saveState.textContent(), { timeout: 20_000 }).toBe('Saved in this browser; the server is not reachable');
      await context.setOffline(false);
      await expect.poll(() => saveState.textContent(), { timeout: 30_000 }).toBe('All changes saved');
      expect(await source()).toContain('Written on a train.');

      // Offline again, and the tab is closed: the next visit offers the unsaved text back.
      await context.setOffline(true);
      await intro.click();
      await page.keyboard.press('End');
      await page.keyboard.insertText(' And in a tunnel.');
      await expect.poll(() => saveState.textContent(), { timeout: 20_000 }).toBe('Saved in this browser; the server is not reachable');
      await page.close();
      await context.setOffline(false);
      const again = await context.newPage();
      watch(again);
      await again.goto(`${stack.baseUrl}/admin/issues/${slug}`);
      await again.getByText('This browser kept a newer version that was not saved.').waitFor();
      expect(await again.locator('.cm-content').textContent()).not.toContain('And in a tunnel.');
      await again.getByRole('button', { name: 'Restore it' }).click();
      await expect.poll(() => again.locator('.cm-content').textContent()).toContain('And in a tunnel.');
      await expect.poll(source, { timeout: 30_000 }).toContain('And in a tunnel.');
      expect(await source()).toContain('Written on a train.');
      await expect.poll(() => again.getByTestId('save-state').textContent(), { timeout: 30_000 }).toBe('All changes saved');
    } finally {
      await context.close();
      // The requests that failed while offline are what this test is about, not problems of the app.
      for (let i = problems.length - 1; i >= 0; i--) if (/ERR_INTERNET_DISCONNECTED/.test(problems[i])) problems.splice(i, 1);
    }
  }, 120_000);

  it('manages subscribers: search, attribute filter, a bulk action on the filtered selection, block, export, delete', async () => {
    const { pool } = stack.services;
    const { upsertSubscribers } = await import('../src/db/subscribers');
    const listId = (await pool.query<{ id: number }>(`INSERT INTO lists (slug, name) VALUES ('members', 'Members') RETURNING id`)).rows[0].id;
    await upsertSubscribers(pool, listId, [
      { email: 'olu@members.test', name: 'Olu', attributes: { plan: 'pro' } },
      { email: 'mei@members.test', name: '王美', attributes: { plan: 'pro' } },
      { email: 'kai@members.test', name: 'Kai', attributes: { plan: 'free' } },
    ], 'confirmed');
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/subscribers?list=members`);
      await page.getByLabel('Attribute (key=value)').fill('plan=pro');
      await expect.poll(() => page.locator('main tbody tr').count()).toBe(2);
      await page.getByLabel('With the subscribers').selectOption('unsubscribe');
      await page.getByLabel('List', { exact: true }).last().selectOption('members');
      await page.getByRole('button', { name: 'Apply to all matching' }).click();
      await page.getByRole('dialog').getByRole('button').last().click();
      await expect.poll(async () => (await pool.query(`SELECT count(*)::int AS n FROM subscriptions WHERE list_id = $1 AND status = 'unsubscribed'`, [listId])).rows[0].n).toBe(2);

      // One subscriber's page: search by part of a name (Chinese), then block, unblock, export, delete.
      await page.goto(`${stack.baseUrl}/admin/subscribers`);
      await page.getByLabel('Search').fill('美');
      await page.getByRole('link', { name: 'mei@members.test' }).click();
      await page.getByRole('button', { name: 'Block' }).click();
      await page.getByRole('button', { name: 'Unblock' }).waitFor();
      expect((await pool.query(`SELECT status FROM subscribers WHERE email = 'mei@members.test'`)).rows[0].status).toBe('blocked');
      await page.getByRole('button', { name: 'Unblock' }).click();
      await page.getByRole('button', { name: 'Block' }).waitFor();
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Export their data' }).click();
      const data = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
      expect(JSON.stringify(data)).toContain('mei@members.test');
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(/\/admin\/subscribers$/);
      expect((await pool.query(`SELECT count(*)::int AS n FROM subscribers WHERE email = 'mei@members.test'`)).rows[0].n).toBe(0);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('sends an issue again from its send page: earlier sends named, those who received it left out unless asked', async () => {
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/sends/${state.sendId}`);
      await page.getByRole('link', { name: 'Send again…' }).click();
      await page.waitForURL(/\/admin\/sends\/new\?/);
      const again = page.getByTestId('send-again');
      await expect.poll(() => again.textContent()).toContain(`This issue already went to Weekly readers:Send #${state.sendId}: finished, 2 sent`);
      // The whole list now: Ada left, Bob received it, Cy and Dee did not.
      await expect.poll(() => page.locator('.recipients').textContent()).toBe('2 subscribers will receive it (confirmed, not blocked). 1 who received it already are left out.');
      await page.getByLabel('Also to the 1 subscribers who received it').check();
      await expect.poll(() => page.locator('.recipients').textContent()).toBe('3 subscribers will receive it (confirmed, not blocked).');
      await page.getByLabel('Also to the 1 subscribers who received it').uncheck();
      await expect.poll(() => page.locator('.recipients').textContent()).toContain('2 subscribers will receive it');
      // Unticking "Send it again" makes sending impossible: the API would refuse it (409 ALREADY_SENT).
      await page.getByLabel('Send it again').uncheck();
      expect(await page.getByRole('button', { name: 'Review and send…' }).isDisabled()).toBe(true);
      await page.getByLabel('Send it again').check();
      await axe(page, 'send again');
      await page.getByRole('button', { name: 'Review and send…' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain('This is a repeat: 1 who received it already are left out.');
      const before = stack.smtp.messages.length;
      await dialog.getByRole('button', { name: 'Send to 2 now' }).click();
      await page.waitForURL(/\/admin\/sends\/\d+$/);
      expect(Number(page.url().split('/').pop())).not.toBe(state.sendId);
      await expect.poll(() => page.getByTestId('send-percent').textContent(), { timeout: 60_000 }).toBe('100 %');
      await expect.poll(() => stack.smtp.messages.length - before, { timeout: 30_000 }).toBe(2);
      expect(stack.smtp.messages.slice(before).map((m) => m.to[0]).sort()).toEqual(['cy@readers.test', 'dee@readers.test']);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('schedules a send for a date, time and time zone, shows it waiting, and cancels it before it starts', async () => {
    const { pool } = stack.services;
    const { upsertSubscribers } = await import('../src/db/subscribers');
    const listId = (await pool.query<{ id: number }>(`INSERT INTO lists (slug, name) VALUES ('later', 'Later') RETURNING id`)).rows[0].id;
    await upsertSubscribers(pool, listId, [{ email: 'li@later.test', name: '李', attributes: {} }], 'confirmed');
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/sends/new?issue=${encodeURIComponent(state.issueSlug!)}&list=later`);
      await expect.poll(() => page.locator('.recipients').textContent()).toContain('1 subscribers will receive it');
      await page.getByLabel('Schedule').check();
      await page.getByLabel('Date').fill('2030-01-15');
      await page.getByLabel('Time', { exact: true }).fill('09:30');
      await page.getByLabel('Time zone').selectOption('Asia/Shanghai');
      await page.getByRole('button', { name: 'Review and send…' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain('(Asia/Shanghai)');
      await dialog.getByRole('button', { name: 'Schedule it' }).click();
      await page.waitForURL(/\/admin\/sends\/\d+$/);
      const id = Number(page.url().split('/').pop());
      // 09:30 in Shanghai (UTC+8) is 01:30 UTC.
      expect((await pool.query(`SELECT scheduled_at FROM sends WHERE id = $1`, [id])).rows[0].scheduled_at.toISOString()).toBe('2030-01-15T01:30:00.000Z');
      await expect.poll(() => page.locator('main .badge').first().textContent()).toBe('scheduled');
      await page.getByText(/Scheduled for .*2030/).waitFor();
      await page.getByRole('button', { name: 'Cancel send' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel send' }).click();
      await expect.poll(() => page.locator('main .badge').first().textContent(), { timeout: 20_000 }).toBe('cancelled');
      expect((await pool.query(`SELECT status FROM sends WHERE id = $1`, [id])).rows[0].status).toBe('cancelled');
      expect(stack.smtp.messages.some((m) => m.to.includes('li@later.test'))).toBe(false);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('imports a listmonk and a Mailchimp export: detected shape, the first rows mapped, a dry run by resulting status, then the import', async () => {
    await stack.services.pool.query(`INSERT INTO lists (slug, name) VALUES ('moving', 'Moving in')`);
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/import`);
      await page.getByLabel('Into list').selectOption('moving');
      await page.setInputFiles('#csv-file', path.join(FIXTURES, 'listmonk-subscribers.csv'));
      // The choice holds once the page has settled (it used to be overwritten by the page's own default).
      await expect.poll(() => page.getByLabel('Into list').inputValue()).toBe('moving');
      await expect.poll(() => page.getByTestId('import-shape').textContent()).toMatch(/Recognised as: listmonk subscribers export · UTF-8/);
      const sample = page.getByTestId('import-sample');
      await expect.poll(() => sample.locator('tbody tr').count()).toBe(3);
      await expect.poll(() => sample.locator('tbody tr').first().textContent()).toMatch(/john@example\.com.*John Doe.*confirmed.*city: Bengaluru/);
      await expect.poll(() => sample.locator('tbody tr').nth(1).textContent()).toMatch(/anon@example\.com.*suppressed.*file says “blocklisted”/);
      await expect.poll(() => page.getByTestId('dry-run').textContent()).toMatch(/Confirmed\s*1.*Suppressed.*1.*Blocked at the source\s*1.*Rejected rows\s*0/);
      await axe(page, 'import listmonk');
      await page.screenshot({ path: path.join(SHOTS, 'import-listmonk-en-desktop.png'), fullPage: true });
      // Read as something else: the operator can overrule the header.
      await page.getByLabel('Read the file as').selectOption('csv');
      await expect.poll(() => page.getByTestId('import-shape').textContent()).toContain('Read as: Plain CSV');
      await page.getByLabel('Read the file as').selectOption('');
      await expect.poll(() => page.getByTestId('import-shape').textContent()).toContain('listmonk');
      await page.getByRole('button', { name: 'Import 3 rows' }).click();
      await expect.poll(() => page.getByTestId('import-result').textContent(), { timeout: 30_000 }).toMatch(/Imported\s*3.*Rejected\s*0/);
      const { rows } = await stack.services.pool.query(`SELECT s.email, s.status, sub.status AS subscription FROM subscribers s JOIN subscriptions sub ON sub.subscriber_id = s.id JOIN lists l ON l.id = sub.list_id WHERE l.slug = 'moving' ORDER BY s.email`);
      expect(rows.map((r) => `${r.email} ${r.status} ${r.subscription}`)).toEqual(['anon@example.com blocked unsubscribed', 'john@example.com active confirmed', 'quiet@example.com blocked confirmed']);

      // Mailchimp puts the status in the file's name.
      await page.setInputFiles('#csv-file', path.join(FIXTURES, 'unsubscribed_members_export_4f1c2a9b.csv'));
      await expect.poll(() => page.getByTestId('import-shape').textContent()).toContain('Recognised as: Mailchimp audience export');
      await expect.poll(() => page.getByTestId('dry-run').textContent()).toMatch(/Confirmed\s*0.*Unsubscribed \(kept, never mailed\)\s*2/);
      await expect.poll(() => page.getByTestId('import-sample').textContent()).toMatch(/linus@example\.net.*Linus Pauling.*unsubscribed/);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("edits a list: settings, readers' language, From, and the defaults issues written for it leave out", async () => {
    await stack.services.pool.query(`INSERT INTO lists (slug, name) VALUES ('defaults', 'Defaults')`);
    const { context, page } = await session('en-US');
    try {
      await page.goto(`${stack.baseUrl}/admin/lists/defaults`);
      const settings = page.getByTestId('list-settings');
      await settings.getByLabel('From name').fill('The Tuesday Letter');
      await settings.getByLabel("Readers' language").selectOption('zh-CN');
      await settings.getByRole('button', { name: 'Save' }).click();
      const defaults = page.getByTestId('issue-defaults');
      await defaults.getByLabel('Template').selectOption('letter');
      await defaults.getByLabel('Postal address').fill('Tidings Ltd, 1 Harbour Road, Leith');
      await defaults.getByLabel('Name for subscribers without one').fill('reader');
      await defaults.getByRole('button', { name: 'Save defaults' }).click();
      await expect.poll(async () => (await stack.services.pool.query(`SELECT issue_template, postal_address, default_name, from_name, language FROM lists WHERE slug = 'defaults'`)).rows[0]).toEqual({
        issue_template: 'letter', postal_address: 'Tidings Ltd, 1 Harbour Road, Leith', default_name: 'reader', from_name: 'The Tuesday Letter', language: 'zh-CN',
      });
      // Shown again on a fresh load; clearing the address goes back to the server default.
      await page.reload();
      await expect.poll(() => page.getByTestId('issue-defaults').getByLabel('Postal address').inputValue()).toBe('Tidings Ltd, 1 Harbour Road, Leith');
      expect(await page.getByTestId('issue-defaults').getByLabel('Template').inputValue()).toBe('letter');
      await page.getByTestId('issue-defaults').getByLabel('Postal address').fill('');
      await page.getByTestId('issue-defaults').getByRole('button', { name: 'Save defaults' }).click();
      await expect.poll(async () => (await stack.services.pool.query(`SELECT postal_address FROM lists WHERE slug = 'defaults'`)).rows[0].postal_address).toBeNull();
      await axe(page, 'list defaults');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows every page in English and Chinese, at desktop and phone width: axe-clean, no console errors, hostile names inert', async () => {
    const { rows } = await stack.services.pool.query<{ id: number }>(`SELECT id FROM subscribers WHERE email = 'bob@readers.test'`);
    state.subscriberId = rows[0].id;
    const { rows: lists } = await stack.services.pool.query<{ slug: string }>('SELECT slug FROM lists ORDER BY id LIMIT 1');
    const pages: Array<[string, string]> = [
      ['dashboard', '/admin'],
      ['issues', '/admin/issues'],
      ['composer', `/admin/issues/${state.issueSlug}`],
      ['send-new', `/admin/sends/new?issue=${state.issueSlug}`],
      ['send-progress', `/admin/sends/${state.sendId}`],
      ['lists', '/admin/lists'],
      ['list', `/admin/lists/${lists[0].slug}`],
      ['subscribers', '/admin/subscribers'],
      ['subscriber', `/admin/subscribers/${state.subscriberId}`],
      ['segments', '/admin/segments'],
      ['import', '/admin/import'],
      ['suppressions', '/admin/suppressions'],
      ['audit', '/admin/audit'],
      ['settings', '/admin/settings'],
    ];
    for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']] as const) {
      for (const [width, kind] of [[1280, 'desktop'], [375, 'phone']] as const) {
        const { context, page } = await session(locale, { width, height: kind === 'phone' ? 800 : 860 });
        try {
          for (const [name, url] of pages) {
            await page.goto(`${stack.baseUrl}${url}`);
            await page.waitForSelector('main h1');
            expect(new URL(page.url()).pathname, name).toBe(url.split('?')[0]);
            await page.locator('#sidenav').waitFor({ state: 'attached' });
            await page.locator('main [role=status].muted').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
            await xssInert(page, name);
            await axe(page, `${name} ${lang} ${kind}`);
            // The composer's preview is a sandboxed (cross-origin) frame: Chromium paints it only once it is on screen.
            if (name === 'composer') {
              await page.locator('[data-testid=preview]').scrollIntoViewIfNeeded();
              await page.frameLocator('[data-testid=preview]').locator('body').waitFor();
              await page.evaluate(() => new Promise((resolve) => {
                const frame = (globalThis as unknown as { requestAnimationFrame(f: () => void): void }).requestAnimationFrame;
                frame(() => frame(() => resolve(undefined)));
              }));
            }
            await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}-${kind}.png`), fullPage: true });
            // Nothing wider than the phone's screen (wide tables scroll inside their card).
            if (kind === 'phone') {
              const wide = await page.evaluate(() =>
                [...(globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ tagName: string; className: string; closest(s: string): unknown; getBoundingClientRect(): { right: number } }> } }).document.querySelectorAll('body *')]
                  .filter((el) => el.getBoundingClientRect().right > 376 && !el.closest('.table-wrap, .cm-editor, .preview-frame'))
                  .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`)
                  .slice(0, 5),
              );
              expect(wide, `${name} at 375 px`).toEqual([]);
              expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth), `${name} at 375 px`).toBeLessThanOrEqual(375);
            }
          }
          if (kind === 'desktop') {
            await page.goto(`${stack.baseUrl}/admin/login`);
            await page.screenshot({ path: path.join(SHOTS, `login-${lang}-${kind}.png`) });
          }
        } finally {
          await context.close();
        }
      }
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
