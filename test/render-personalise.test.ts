import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { loadContentFile, parseContent, type IssueContent } from '../src/render/content';
import { createIssueFromFile } from '../src/issues/create-issue';
import { renderIssue, type RenderedIssue } from '../src/render/render-issue';
import { fillMarkers } from '../src/render/slots';
import { Links } from '../src/security/links';
import { loadConfig } from '../src/config';
import { MAX_LINE } from '../src/mail/eight-bit-template';
import { buildSendTemplate } from '../src/send/send-template';
import { TokenCodec } from '../src/security/tokens';
import { startSend } from '../src/send/start-send';
import { startStack, TEST_SECRET, type TestStack } from './helpers';

const SAMPLE = 'content/ml-utd-32.yaml';
const ASSETS = 'https://assets.example.com/';
const HOSTILE = ['<script>alert(1)</script>', '"><img src=x>'];
const links = new Links('https://news.example.com', new TokenCodec(TEST_SECRET));
const list = { id: 7, name: 'ML UTD 周刊', slug: 'weekly' };

/** HTML with the 8bit part's line breaks undone: one inserted after a tag name goes, the others were spaces. */
const unwrapped = (html: string) => html.replace(/\r?\n(?=[/>])/g, '').replace(/\r?\n/g, ' ');

let content: IssueContent;
let compiled: RenderedIssue;

beforeAll(async () => {
  content = (await loadContentFile(SAMPLE)).content;
  compiled = await renderIssue(content, { assetBaseUrl: ASSETS, language: 'zh-CN' });
});

/** A message as the workers build it: send values filled once, then MessageTemplate per subscriber. */
function messageFor(name: string, deliveryId = 42, encoding: '8bit' | 'base64' = '8bit'): { raw: Buffer; unsubscribeUrl: string; openPixelUrl: string } {
  // Built exactly as the workers build it (src/send/send-template.ts).
  const { template } = buildSendTemplate({
    config: loadConfig({ MAIL_FROM: '数据生活 LifeWithData <news@lifewithdata.test>', SECRET_KEY: 'x'.repeat(40), MESSAGE_ENCODING: encoding }),
    links,
    dkim: undefined,
    sendId: 3,
    issue: { id: 5, slug: content.slug, subject: compiled.subject, text: compiled.text },
    list,
    html: compiled.html,
  });
  const recipient = {
    deliveryId,
    email: 'reader@example.com',
    name,
    unsubscribeUrl: links.unsubscribe(11, list.id, deliveryId),
    openPixelUrl: links.openPixel(deliveryId),
    clickBase: links.clickBase(deliveryId),
  };
  return { raw: template.render(recipient), unsubscribeUrl: recipient.unsubscribeUrl, openPixelUrl: recipient.openPixelUrl };
}

describe('personal values in a message', () => {
  for (const name of HOSTILE) {
    it(`a subscriber named ${name} is escaped in the HTML part and shown as plain text in the text part`, async () => {
      const parsed = await simpleParser(messageFor(name).raw);
      const html = unwrapped(parsed.html as string);
      expect(html).not.toContain(name);
      expect(html).not.toMatch(/<script>|<img src=x>/);
      expect(html).toContain(`>${name.replace(/[&<>"'`=]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39', '`': '#96', '=': '#61' }[c]};`)}，你好！</p>`);
      // text/plain is never interpreted: the name appears exactly as given, on its own greeting line.
      expect(parsed.text).toContain(`\n${name}，你好！\n`);
      // The To header carries it as an encoded phrase, not as markup or extra headers.
      expect(parsed.to && 'value' in parsed.to ? parsed.to.value[0] : undefined).toMatchObject({ name, address: 'reader@example.com' });
    });
  }

  it('a filled-in message equals a full render with the subscriber\'s values, for ordinary and hostile names', async () => {
    for (const name of ['张伟', 'Ada Lovelace', ...HOSTILE]) {
      const message = messageFor(name, 1000 + name.length);
      const parsed = await simpleParser(message.raw);
      const full = await renderIssue(content, {
        assetBaseUrl: ASSETS,
        language: 'zh-CN',
        slotValues: { name, listName: list.name, webVersionUrl: links.webVersion(content.slug), unsubscribeUrl: message.unsubscribeUrl, openPixelUrl: message.openPixelUrl },
      });
      // The 8bit HTML part breaks its lines at spaces and after tag names: the same HTML to a browser.
      expect(unwrapped(parsed.html as string), name).toBe(unwrapped(full.html));
      expect(parsed.text, name).toBe(full.text);
    }
  });

  for (const encoding of ['8bit', 'base64'] as const) {
    it(`Chinese text survives content → render → MIME (${encoding}) → parse byte for byte (subject, preheader, body)`, async () => {
      const raw = messageFor('张伟', 42, encoding).raw;
      const [head, body] = [raw.subarray(0, raw.indexOf('\r\n\r\n')), raw.subarray(raw.indexOf('\r\n\r\n'))];
      // Headers are 7-bit (RFC 2047 words); base64 parts are 7-bit too, 8bit parts are UTF-8 in lines SMTP allows.
      expect(head.every((byte) => byte < 0x80)).toBe(true);
      if (encoding === 'base64') expect(body.every((byte) => byte < 0x80)).toBe(true);
      // The sample's text part has a 972-byte line: too long for 8bit (MAX_LINE), so it goes as base64; its HTML goes 8bit.
      expect(Math.max(...compiled.text.split('\n').map((line) => Buffer.byteLength(line)))).toBeGreaterThan(MAX_LINE);
      expect(raw.toString('latin1').match(/Content-Transfer-Encoding: (\S+)/g)).toEqual(['base64', encoding].map((e) => `Content-Transfer-Encoding: ${e}`));
      for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(MAX_LINE);
      expect(raw.toString('latin1')).not.toMatch(/[^\r]\n|\r[^\n]/);
      const parsed = await simpleParser(raw);
      expect(parsed.subject).toBe('[ML UTD 32] 最新的机器学习—数据生活');
      expect(parsed.subject).toBe(content.subject);
      expect(parsed.to && 'value' in parsed.to ? parsed.to.value[0].name : '').toBe('张伟');
      // 8bit breaks HTML lines at spaces and after tag names: the same HTML to a browser.
      const normal = (value: string) => (encoding === '8bit' ? unwrapped(value) : value);
      const html = normal(parsed.html as string);
      expect(html).toContain(`>${content.preheader}`);
      const values = { listName: list.name, webVersionUrl: links.webVersion(content.slug), name: '张伟', unsubscribeUrl: links.unsubscribe(11, list.id, 42), openPixelUrl: links.openPixel(42) };
      expect(html).toBe(normal(fillMarkers(compiled.html, values)));
      const expectedText = fillMarkers(compiled.text, values);
      expect(parsed.text!.replace(/\n$/, '')).toBe(expectedText.replace(/\n$/, ''));
      for (const sentence of ['在当今软件工程和机器学习的繁忙前线，我们帮助您将信号与噪声分离。', '然而，随着数据技术征服世界，赌注也越来越高。', '《丛林奇兵》', '信用: ']) {
        expect(html).toContain(sentence);
        expect(parsed.text).toContain(sentence);
      }
    });
  }
});

describe('the web version', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ http: true, workers: true, env: { ASSET_BASE_URL: ASSETS } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('escapes a hostile list name and default name, and never shows a subscriber\'s name', async () => {
    const { pool } = stack.services;
    await createList(pool, { slug: 'hostile', name: HOSTILE[0] });
    const source = (await loadContentFile(SAMPLE)).source.replace('slug: ml-utd-32', 'slug: ml-utd-32-web').replace('default_name: 读者', `default_name: '${HOSTILE[1]}'`);
    expect(parseContent(source, 'x.yaml').default_name).toBe(HOSTILE[1]);
    const { writeFile } = await import('node:fs/promises');
    const file = `${process.env.TMPDIR ?? '/tmp'}/tidings-web-${process.pid}.yaml`;
    await writeFile(file, source);
    const { issue } = await createIssueFromFile(pool, file, { assetBaseUrl: ASSETS });
    // Only a sent issue has a web version: the send (to an empty list) finishes at once.
    const { send } = await startSend(stack.services, issue.slug, 'hostile');
    const { waitForSend } = await import('../src/cli/progress');
    await waitForSend(stack.services, send.id, { bar: false });

    const page = await (await fetch(`${stack.baseUrl}/archive/${issue.slug}`)).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).not.toContain('<img src=x>');
    expect(page).toContain('subscribed to &lt;script&gt;alert(1)&lt;/script&gt;.');
    // The list is English: so is the greeting around the escaped default name.
    expect(page).toContain('Hi &quot;&gt;&lt;img src&#61;x&gt;,');
    expect(page).not.toContain('%%tidings:');
  });
});
