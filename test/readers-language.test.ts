import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { waitForSend } from '../src/cli/progress';
import { getListBySlug, createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import { en } from '../src/i18n/en';
import { CATALOGUES, negotiateLanguage } from '../src/i18n/catalogues';
import { LANGUAGES } from '../src/i18n/languages';
import { getIssue, issueInLanguage } from '../src/db/issues';
import { createIssueFromFile } from '../src/issues/create-issue';
import { issueFileOptions } from '../src/issues/issue-file-options';
import { startSend } from '../src/send/start-send';
import { parse, startStack, waitFor, type TestStack } from './helpers';

/** The fixed text of a catalogue entry: a string, or a function's sentence around its parameters. */
function fragmentsOf(entry: string | ((...args: string[]) => string)): string[] {
  const text = typeof entry === 'string' ? entry : entry(...Array.from({ length: entry.length }, () => '\u0000'));
  return text.split('\u0000').map((s) => s.trim()).filter((s) => s.length >= 4);
}
/** Every English sentence a reader could be shown, to make sure none leaks into a page of another language. */
const ENGLISH = Object.entries(en).filter(([key]) => key !== 'lang').flatMap(([, value]) => fragmentsOf(value));
const ZH_EMAIL = ['emailViewInBrowser', 'emailUnsubscribe', 'emailReceivingBecause'].flatMap((key) => fragmentsOf(CATALOGUES['zh-CN'][key as keyof typeof en]));
const visibleText = (html: string) => html.replace(/<style[\s\S]*?<\/style>/g, ' ').replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ');
const englishIn = (html: string) => ENGLISH.filter((sentence) => visibleText(html).includes(sentence));

describe('the catalogues', () => {
  it('every language has every key of the English catalogue and no other, each of the same kind and translated', () => {
    const keys = Object.keys(en).sort();
    for (const language of LANGUAGES) {
      const catalogue = CATALOGUES[language] as Record<string, unknown>;
      expect(Object.keys(catalogue).sort(), language).toEqual(keys);
      expect(catalogue.lang, language).toBe(language);
      for (const key of keys) {
        const [mine, model] = [catalogue[key], (en as Record<string, unknown>)[key]];
        expect(typeof mine, `${language}.${key}`).toBe(typeof model);
        if (typeof mine === 'function') {
          expect(mine.length, `${language}.${key} parameters`).toBe((model as () => string).length);
          // The parameter is used (a list's or a person's name is never dropped).
          expect((mine as (...a: string[]) => string)(...Array.from({ length: mine.length }, (_, i) => `<${i}>`)), `${language}.${key}`).toContain('<0>');
        } else expect(String(mine).trim(), `${language}.${key}`).not.toBe('');
        if (language !== 'en') expect(String(typeof mine === 'function' ? mine('x') : mine), `${language}.${key} is untranslated`).not.toBe(String(typeof model === 'function' ? (model as (a: string) => string)('x') : model));
      }
    }
  });

  it('a page of no list speaks the first of the browser\'s languages that has a catalogue', () => {
    expect(negotiateLanguage(undefined)).toBe('en');
    expect(negotiateLanguage('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(negotiateLanguage('zh')).toBe('zh-CN');
    expect(negotiateLanguage('fr-FR, zh-Hans;q=0.7, en;q=0.5')).toBe('zh-CN');
    expect(negotiateLanguage('en-GB,zh-CN;q=0.9')).toBe('en');
    expect(negotiateLanguage('zh-TW')).toBe('en');
    expect(negotiateLanguage('de, *;q=0.1')).toBe('en');
    expect(negotiateLanguage('zh-CN;q=0, en')).toBe('en');
  });
});

describe('a zh-CN list speaks Chinese to its readers, an en list English', () => {
  let stack: TestStack;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.baseUrl}${path}`, { headers });
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const subscriberId = async (email: string) => (await stack.services.pool.query<{ id: number }>('SELECT id FROM subscribers WHERE email = $1', [email])).rows[0]?.id;

  beforeAll(async () => {
    stack = await startStack({ http: true, workers: true });
    await createList(stack.services.pool, { slug: 'zhoukan', name: '数据周刊', language: 'zh-CN', doubleOptIn: true });
    await createList(stack.services.pool, { slug: 'weekly', name: 'Data weekly', doubleOptIn: true });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('subscribe form, thank-you page, confirmation email, confirm pages: Chinese, lang="zh-CN", no English', async () => {
    const formPage = await (await get('/subscribe/zhoukan')).text();
    expect(formPage).toContain('<html lang="zh-CN">');
    expect(formPage).toContain('订阅“数据周刊”');
    expect(formPage).toContain('电子邮箱');
    expect(englishIn(formPage)).toEqual([]);

    const done = await fetch(`${stack.baseUrl}/subscribe`, form({ email: 'li@example.com', name: '李雷', list: 'zhoukan' }));
    expect(done.status).toBe(202);
    const donePage = await done.text();
    expect(donePage).toContain('<html lang="zh-CN">');
    expect(donePage).toContain('确认邮件');
    expect(englishIn(donePage)).toEqual([]);

    const message = await waitFor(async () => stack.smtp.messages.find((m) => m.to[0] === 'li@example.com'));
    const mail = await parse(message.raw);
    expect(mail.subject).toBe('请确认订阅“数据周刊”');
    expect(mail.headers.get('content-language')).toBe('zh-CN');
    expect(String(mail.html)).toContain('<html lang="zh-CN">');
    expect(String(mail.html)).toContain('确认订阅');
    expect(englishIn(String(mail.html))).toEqual([]);
    expect(englishIn(String(mail.text))).toEqual([]);

    const link = /(http:\/\/127\.0\.0\.1:\d+\/confirm\/[A-Za-z0-9_-]+)/.exec(String(mail.text))![1];
    const confirmPage = await (await fetch(link)).text();
    expect(confirmPage).toContain('<html lang="zh-CN">');
    expect(confirmPage).toContain('确定订阅“数据周刊”吗？');
    expect(englishIn(confirmPage)).toEqual([]);
    const confirmed = await (await fetch(link, { method: 'POST' })).text();
    expect(confirmed).toContain('订阅成功');
    expect(englishIn(confirmed)).toEqual([]);
  });

  it('unsubscribe and preferences pages of a zh-CN list, and its error pages: Chinese', async () => {
    const { pool, links } = stack.services;
    const list = await getListBySlug(pool, 'zhoukan');
    await upsertSubscribers(pool, list.id, [{ email: 'han@example.com', name: '韩梅梅', attributes: {} }], 'confirmed');
    const id = (await subscriberId('han@example.com'))!;
    const pages = [
      await (await fetch(links.unsubscribe(id, list.id, 0))).text(),
      await (await fetch(links.preferences(id))).text(),
      await (await fetch(links.unsubscribe(id, list.id, 0), form({}))).text(),
      // An invalid link belongs to no list: the browser's language decides.
      await (await get('/unsubscribe/not-a-token', { 'accept-language': 'zh-CN,zh;q=0.9' })).text(),
      await (await get('/confirm/not-a-token', { 'accept-language': 'zh' })).text(),
      await (await get('/no/such/page', { 'accept-language': 'zh-CN' })).text(),
      await (await get('/unsubscribe', { 'accept-language': 'zh-CN' })).text(),
    ];
    expect(pages[0]).toContain('要退订“数据周刊”吗？');
    expect(pages[1]).toContain('我的订阅');
    expect(pages[1]).toContain('已订阅');
    expect(pages[2]).toContain('已退订');
    expect(pages[3]).toContain('链接无效');
    expect(pages[5]).toContain('页面不存在');
    for (const html of pages) {
      expect(html).toContain('<html lang="zh-CN">');
      expect(englishIn(html)).toEqual([]);
    }
  });

  it('an en list stays English', async () => {
    const formPage = await (await get('/subscribe/weekly', { 'accept-language': 'zh-CN' })).text();
    expect(formPage).toContain('<html lang="en">');
    expect(formPage).toContain('Subscribe to “Data weekly”');
    await fetch(`${stack.baseUrl}/subscribe`, form({ email: 'ann@example.com', name: 'Ann', list: 'weekly' }));
    const message = await waitFor(async () => stack.smtp.messages.find((m) => m.to[0] === 'ann@example.com'));
    const mail = await parse(message.raw);
    expect(mail.subject).toBe('Confirm your subscription to Data weekly');
    expect(mail.headers.get('content-language')).toBe('en');
    expect((await (await get('/no/such/page')).text())).toContain('<html lang="en">');
  });

  it('one stored issue sent to a zh-CN and an en list: each message has its own list\'s fixed strings only', async () => {
    const { pool } = stack.services;
    const zh = await getListBySlug(pool, 'zhoukan');
    const enList = await getListBySlug(pool, 'weekly');
    await upsertSubscribers(pool, zh.id, [{ email: 'zh-reader@example.com', name: '王芳', attributes: {} }], 'confirmed');
    await upsertSubscribers(pool, enList.id, [{ email: 'en-reader@example.com', name: 'Bob', attributes: {} }], 'confirmed');
    // Stored without --list (the issue's own language is the default, en), then sent to both.
    const { issue } = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: stack.config.assetBaseUrl });
    expect(issue.language).toBe('en');
    for (const slug of ['zhoukan', 'weekly']) {
      const { send } = await startSend(stack.services, issue.id, slug);
      expect((await waitForSend(stack.services, send.id, { bar: false })).send.status).toBe('finished');
    }
    const messageTo = async (email: string) => parse(stack.smtp.messages.find((m) => m.to[0] === email && m.raw.includes('Feedback-ID:'))!.raw);

    const zhMail = await messageTo('zh-reader@example.com');
    for (const part of [String(zhMail.html), String(zhMail.text)]) {
      expect(part).toContain('在浏览器中查看');
      expect(part).toContain('你收到这封邮件，是因为你订阅了“数据周刊”。');
      expect(part).toContain('王芳，你好！');
      for (const english of ['View in browser', 'Unsubscribe', 'You are receiving this', 'Hi 王芳']) expect(part).not.toContain(english);
    }
    expect(String(zhMail.html)).toMatch(/<html[^>]* lang="zh-CN"/);

    const enMail = await messageTo('en-reader@example.com');
    for (const part of [String(enMail.html), String(enMail.text)]) {
      expect(part).toContain('View in browser');
      expect(part).toContain('You are receiving this because you subscribed to Data weekly.');
      expect(part).toContain('Hi Bob,');
      for (const chinese of [...ZH_EMAIL, 'Bob，你好']) expect(part).not.toContain(chinese);
    }
    expect(String(enMail.html)).toMatch(/<html[^>]* lang="en"/);

    // The web version of the issue is the rendering of the list it was last sent to.
    const web = await (await get(`/archive/${issue.slug}`)).text();
    expect(web).toContain('Data weekly');
    expect(web).toContain('View in browser');
  });

  it('an issue stored for a list (--list) is in its language first; a language it was never compiled in is refused, not mixed', async () => {
    const { pool, config } = stack.services;
    const { writeFile, readFile } = await import('node:fs/promises');
    const file = `${process.env.TMPDIR ?? '/tmp'}/tidings-lang-${process.pid}.yaml`;
    await writeFile(file, (await readFile(SAMPLE_ISSUE, 'utf8')).replace('slug: ml-utd-32', 'slug: ml-utd-32-zh'));
    const { issue } = await createIssueFromFile(pool, file, await issueFileOptions(config, pool, 'zhoukan'));
    expect(issue.language).toBe('zh-CN');
    expect(issue.text).toContain('在浏览器中查看');
    const english = await issueInLanguage(pool, issue, 'en');
    expect(english.text).toContain('View in browser');
    expect(english.text).not.toContain('在浏览器中查看');
    // As if a catalogue had been added after the issue was stored: no rendering in it, so no send in it.
    await pool.query("DELETE FROM issue_renderings WHERE issue_id = $1 AND language = 'en'", [issue.id]);
    await expect(issueInLanguage(pool, await getIssue(pool, issue.id), 'en')).rejects.toThrow(/has no rendering in that language: store the content again under a new slug/);
    await expect(startSend(stack.services, issue.id, 'weekly')).rejects.toThrow(/was compiled before the 'en' catalogue existed/);
    expect((await pool.query('SELECT 1 FROM sends WHERE issue_id = $1', [issue.id])).rowCount).toBe(0);
    // The language it has still sends.
    const { send } = await startSend(stack.services, issue.id, 'zhoukan');
    expect((await waitForSend(stack.services, send.id, { bar: false })).send.status).toBe('finished');
  });
});
