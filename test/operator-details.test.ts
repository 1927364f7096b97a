import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { withoutExternalFonts } from '../src/http/admin/bull-board-offline';
import { warnAboutDevelopmentSecret } from '../src/cli/secret-warning';
import { opsServerPerSuite } from './helpers';
import { ADMIN_TOKEN } from './ops-seed';

// Issue 11.15: the SECRET_KEY warning in words once per terminal session (loud in serve and worker),
// Bull Board without a request leaving the machine, /favicon.ico.
const CHROMIUM = '/usr/bin/chromium';

function capture(): { stream: Writable; text: () => string } {
  let out = '';
  return { stream: new Writable({ write: (chunk, _enc, done) => ((out += chunk), done()) }), text: () => out };
}

describe('the development SECRET_KEY warning', () => {
  const config = { usingDevelopmentSecret: true };
  it('is said once per terminal session, in words, not as a JSON log line', () => {
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'tidings-warned-')), 'session-1');
    const logged = capture();
    const log = pino({ level: 'info' }, logged.stream);
    const first = capture();
    warnAboutDevelopmentSecret(config, log, { loud: false, stderr: first.stream, marker });
    expect(first.text()).toMatch(/^Warning: SECRET_KEY is not set, so Tidings uses its built-in development key\./);
    expect(first.text()).not.toContain('{');
    const second = capture();
    warnAboutDevelopmentSecret(config, log, { loud: false, stderr: second.stream, marker });
    expect(second.text()).toBe('');
    expect(logged.text()).toBe('');
    expect(existsSync(marker)).toBe(true);
  });

  it('stays loud in serve and worker: a banner every time, and a log line for log collectors', () => {
    const marker = path.join(mkdtempSync(path.join(tmpdir(), 'tidings-warned-')), 'session-2');
    for (let i = 0; i < 2; i++) {
      const logged = capture();
      const err = capture();
      warnAboutDevelopmentSecret(config, pino({ level: 'info' }, logged.stream), { loud: true, stderr: err.stream, marker });
      expect(err.text()).toContain('!!! Warning: SECRET_KEY is not set');
      expect(JSON.parse(logged.text())).toMatchObject({ event: 'config.development_secret' });
    }
  });

  it('says nothing when SECRET_KEY is set', () => {
    const err = capture();
    warnAboutDevelopmentSecret({ usingDevelopmentSecret: false }, pino({ level: 'silent' }), { loud: true, stderr: err.stream });
    expect(err.text()).toBe('');
  });
});

describe('Bull Board and the favicon', () => {
  const suite = opsServerPerSuite();

  it('answers /favicon.ico with an icon', async () => {
    const res = await fetch(suite.server.url('/favicon.ico'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(readFileSync(new URL('../public/favicon.ico', import.meta.url)));
  });

  it('drops the Google Fonts stylesheet from Bull Board\'s page', async () => {
    const page = await fetch(suite.server.url('/admin/queues'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('__UI_CONFIG__');
    expect(html).not.toMatch(/fonts\.googleapis|fonts\.gstatic/);
    expect(withoutExternalFonts('<link href="https://fonts.googleapis.com/css2?family=X" rel="stylesheet">\n<p>')).toBe('<p>');
  });

  it.skipIf(!existsSync(CHROMIUM))('loads Bull Board in Chromium without any request leaving the machine or a console error', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: ADMIN_TOKEN } });
      const page = await context.newPage();
      const origin = new URL(suite.server.url('/')).origin;
      const outside: string[] = [];
      const errors: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(origin) && !req.url().startsWith('data:')) outside.push(req.url());
      });
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('response', (res) => {
        if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
      });
      await page.goto(suite.server.url('/admin/queues'));
      await page.waitForSelector('text=deliver', { timeout: 20_000 });
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
