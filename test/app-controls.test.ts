import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIST } from '../src/http/app-dist';
import { createOperator } from './app-operator-helpers';
import { deliveryStates, seedSend, startStack, type TestStack } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const ready = existsSync(CHROMIUM) && existsSync(path.join(APP_DIST, 'manifest.json'));

let stack: TestStack;
let browser: Browser;
let owner: { email: string; password: string };
// The SMTP peer refuses policy@ for a policy reason (ours, not the subscriber's) until told otherwise.
let refusePolicy = true;

beforeAll(async () => {
  if (!ready) return;
  stack = await startStack({
    http: true,
    workers: true,
    concurrency: 2,
    // A slow server: the send takes seconds, so there is time to pause it.
    smtp: { latencyMs: 250, reply: (m) => (refusePolicy && m.to.includes('policy@example.com') ? { code: 550, message: '5.7.1 Message rejected due to local policy' } : undefined) },
  });
  owner = await createOperator(stack.services.pool, 'ops@example.com', 'owner');
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe.skipIf(!ready)('a running send in the app', () => {
  it('is paused and resumed from its page, and its failed deliveries are retried once the cause is fixed', async () => {
    const { pool } = stack.services;
    const { listId, issueId } = await seedSend(stack, 'slow', 30);
    const { upsertSubscribers } = await import('../src/db/subscribers');
    await upsertSubscribers(pool, listId, [{ email: 'policy@example.com', name: 'Policy', attributes: {} }], 'confirmed');
    const slug = (await pool.query<{ slug: string }>('SELECT slug FROM issues WHERE id = $1', [issueId])).rows[0].slug;

    const context = await browser.newContext({ locale: 'en-US', reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    try {
      await page.goto(`${stack.baseUrl}/admin/login`);
      await page.getByLabel('Email address').fill(owner.email);
      await page.getByLabel('Password', { exact: true }).fill(owner.password);
      await page.locator('button[type=submit]').click();
      await page.waitForURL((url) => !url.pathname.startsWith('/admin/login'));

      await page.goto(`${stack.baseUrl}/admin/sends/new?issue=${encodeURIComponent(slug)}&list=slow`);
      await expect.poll(() => page.locator('.recipients').textContent()).toContain('31 subscribers will receive it');
      await page.getByRole('button', { name: 'Review and send…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Send to 31 now' }).click();
      await page.waitForURL(/\/admin\/sends\/\d+$/);
      const sendId = Number(page.url().split('/').pop());

      // Pause once messages are going out: it stops before the list is done.
      await page.getByRole('button', { name: 'Pause' }).click({ timeout: 30_000 });
      await expect.poll(() => page.locator('main .badge').first().textContent(), { timeout: 20_000 }).toBe('paused');
      const whilePaused = await deliveryStates(stack, sendId);
      expect(whilePaused.sent ?? 0).toBeLessThan(30);
      await page.getByRole('button', { name: 'Resume' }).waitFor();

      await page.getByRole('button', { name: 'Resume' }).click();
      await expect.poll(() => page.getByTestId('send-percent').textContent(), { timeout: 60_000 }).toBe('100 %');
      await expect.poll(() => page.locator('main .badge').first().textContent(), { timeout: 30_000 }).toBe('finished');
      expect(await deliveryStates(stack, sendId)).toEqual({ sent: 30, failed: 1 });

      // The route's policy was fixed: "Retry failed" sends the refused one again.
      refusePolicy = false;
      await page.getByRole('button', { name: 'Retry failed' }).click();
      await expect.poll(() => deliveryStates(stack, sendId), { timeout: 30_000 }).toEqual({ sent: 31 });
      // The peer keeps what it accepted: the refused attempt is not there, the retried one is.
      expect(stack.smtp.messages.filter((m) => m.to.includes('policy@example.com'))).toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
