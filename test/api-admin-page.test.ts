import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './helpers';
import { ADMIN_TOKEN, seedSend, startOpsServer } from './ops-seed';

const CHROMIUM = '/usr/bin/chromium';
// The README's screenshot is rewritten only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL('../docs/admin.png', import.meta.url)) : path.join(tmpdir(), `tidings-admin-${process.pid}.png`);

let stack: TestStack;
let server: Awaited<ReturnType<typeof startOpsServer>>;
beforeAll(async () => {
  stack = await startStack();
  server = await startOpsServer(stack.env);
});
afterAll(async () => {
  await server?.close();
  await stack?.close();
});

describe('the /admin page in headless Chromium', () => {
  it.skipIf(!existsSync(CHROMIUM))('lists sends with progress and shows the chosen send’s statistics and chart', async () => {
    const { pool } = stack.services;
    const people = Array.from({ length: 40 }, (_, i) => ({ email: `reader${i}@example.com`, status: i < 34 ? 'sent' : i < 36 ? 'failed' : 'queued' }));
    const seeded = await seedSend(pool, people, { issueSlug: 'ml-utd-32' });
    await pool.query(`UPDATE sends SET status = 'sending', total = 40, started_at = now() - interval '50 hours' WHERE id = $1`, [seeded.sendId]);
    await pool.query(`UPDATE issues SET subject = '[ML UTD 32] 最新的机器学习—数据生活'`);
    const { rows } = await pool.query<{ issue_id: number }>('SELECT issue_id FROM sends WHERE id = $1', [seeded.sendId]);
    await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) VALUES ($1, 1, 'https://datakin.com/introducing-openlineage/'), ($1, 2, 'https://openlineage.io/')`, [rows[0].issue_id]);
    // Opens and clicks spread over two days, most in the first hours, as real sends look.
    await pool.query(
      `INSERT INTO events (type, delivery_id, subscriber_id, list_id, occurred_at, data, flags)
       SELECT CASE WHEN g % 5 = 0 THEN 'click' ELSE 'open' END, d.id, d.subscriber_id, $2,
              now() - interval '50 hours' + (power(g / 120.0, 2) * interval '48 hours'),
              CASE WHEN g % 5 = 0 THEN jsonb_build_object('linkId', 1 + g % 2) ELSE '{}'::jsonb END,
              CASE WHEN g % 7 = 0 THEN ARRAY['apple_mpp'] ELSE '{}'::text[] END
       FROM generate_series(1, 120) g JOIN deliveries d ON d.send_id = $1 AND d.subscriber_id = (SELECT min(subscriber_id) FROM deliveries WHERE send_id = $1) + g % 30`,
      [seeded.sendId, seeded.listId],
    );
    await pool.query(`INSERT INTO events (type, delivery_id, data) SELECT 'bounce', id, '{"kind":"hard"}' FROM deliveries WHERE send_id = $1 AND status = 'failed'`, [seeded.sendId]);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN }, viewport: { width: 1280, height: 760 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
      });
      page.on('response', (res) => {
        if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) errors.push(`${res.status()} ${res.url()}`);
      });
      await page.goto(server.url('/admin'));
      await page.waitForSelector('tr.send.selected');
      await page.waitForSelector('#detail svg polyline');
      const row = await page.textContent('tr.send.selected');
      expect(row).toContain('ml-utd-32 → weekly');
      expect(row).toContain('90%');
      const detail = (await page.textContent('#detail'))!;
      expect(detail).toContain('最新的机器学习');
      expect(detail).toMatch(/sent\s*34/);
      expect(detail).toContain('https://datakin.com/introducing-openlineage/');
      expect(await page.locator('#detail polyline').count()).toBe(3);
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(errors).toEqual([]);

      // Bull Board renders under the same CSP.
      await page.goto(server.url('/admin/queues'));
      await page.waitForSelector('text=deliver', { timeout: 15_000 });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
