import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import { createSmtpMailer, type Mailer } from '../src/mail/mailer';
import { loadContentFile } from '../src/render/content';
import { createIssueFromFile } from '../src/issues/create-issue';
import { CHROMIUM_INSTALL_HINT, findChromium, writePreview, type PreviewMessage } from '../src/render/preview';
import { renderIssue } from '../src/render/render-issue';
import { Links } from '../src/security/links';
import { TokenCodec } from '../src/security/tokens';
import { buildSingleMessage } from '../src/send/single-message';
import { testSend } from '../src/send/test-send';
import { isolatedEnv, startStack, TEST_SECRET, type TestStack } from './helpers';

const SAMPLE = path.resolve(__dirname, '../content/ml-utd-32.yaml');
const ASSETS = 'http://assets.tidings.test/';
const config = loadConfig(isolatedEnv({ ASSET_BASE_URL: ASSETS }));

async function sampleMessage(): Promise<PreviewMessage> {
  const { content } = await loadContentFile(SAMPLE);
  const rendered = await renderIssue(content, { assetBaseUrl: ASSETS, language: 'zh-CN' });
  const message = buildSingleMessage({
    config,
    links: new Links(config.publicUrl, new TokenCodec(TEST_SECRET)),
    dkim: undefined,
    issue: { id: 1, slug: content.slug, subject: rendered.subject, html: rendered.html, text: rendered.text, defaultName: content.default_name },
    list: { id: 1, name: 'ML UTD 周刊', slug: 'weekly' },
    recipient: { email: 'reader@example.com', name: '张伟' },
    messageNumber: 1,
  });
  return { slug: content.slug, html: message.html, text: message.text, eml: message.raw };
}

/** Share of pixels that differ from the top-left (background) colour, and the number of distinct colours. */
function inkOf(png: PNG): { ink: number; colours: number } {
  const [r0, g0, b0] = png.data;
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (Math.abs(r - r0) + Math.abs(g - g0) + Math.abs(b - b0) > 24) ink++;
    if (colours.size < 5000) colours.add((r << 16) | (g << 8) | b);
  }
  return { ink: ink / (png.width * png.height), colours: colours.size };
}

describe('tidings preview', () => {
  it('writes the HTML, text and .eml of one personalised message, and real Chromium screenshots at 375 and 700 px', async () => {
    // CI installs Chromium when absent (.ci/run); this test needs the real browser.
    expect(await findChromium(), 'Chromium is required: apt-get install -y chromium').toBeDefined();
    const out = await mkdtemp(path.join(tmpdir(), 'tidings-preview-'));
    const message = await sampleMessage();
    const result = await writePreview(message, { outDir: out, assetBaseUrl: ASSETS });
    expect(result.skipped).toBeUndefined();
    expect(result.files.map((f) => path.basename(f))).toEqual(['ml-utd-32.html', 'ml-utd-32.txt', 'ml-utd-32.eml', 'ml-utd-32-375.png', 'ml-utd-32-700.png']);

    // The .eml is the message as sent; its parts are the .html and .txt written beside it (byte for byte,
    // but for the HTML lines too long for SMTP, which the 8bit part breaks at a space).
    const parsed = await simpleParser(await readFile(path.join(out, 'ml-utd-32.eml')));
    expect(parsed.subject).toBe('[ML UTD 32] 最新的机器学习—数据生活');
    const lineBreaksAsSpaces = (html: string) => html.replace(/\r?\n/g, ' ');
    expect(lineBreaksAsSpaces(parsed.html as string)).toBe(lineBreaksAsSpaces(await readFile(path.join(out, 'ml-utd-32.html'), 'utf8')));
    expect(Buffer.from(parsed.text!).equals(await readFile(path.join(out, 'ml-utd-32.txt')))).toBe(true);
    expect(parsed.html).toContain('张伟，你好！');

    for (const { width, file } of result.screenshots) {
      const png = PNG.sync.read(await readFile(file));
      expect(png.width, file).toBe(width);
      // A whole newsletter: several screens tall, with text and pictures, not a blank page.
      expect(png.height, file).toBeGreaterThan(4000);
      const { ink, colours } = inkOf(png);
      expect(ink, file).toBeGreaterThan(0.3);
      expect(colours, file).toBeGreaterThan(200);
    }
  }, 180_000); // a browser start on a busy machine

  it('without Chromium, says how to install it and still writes the HTML, text and .eml', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'tidings-preview-'));
    const result = await writePreview(await sampleMessage(), { outDir: out, assetBaseUrl: ASSETS, chromium: '/nonexistent/chromium' });
    expect(result.skipped).toBe(CHROMIUM_INSTALL_HINT);
    expect(result.skipped).toContain('apt-get install -y chromium');
    expect(result.screenshots).toEqual([]);
    for (const name of ['ml-utd-32.html', 'ml-utd-32.txt', 'ml-utd-32.eml']) await access(path.join(out, name));
    await expect(access(path.join(out, 'ml-utd-32-375.png'))).rejects.toThrow();
  });
});

describe('tidings send --test', () => {
  let stack: TestStack;
  let mailer: Mailer;
  beforeAll(async () => {
    // Issues are created with ASSETS: the server sending them has the same ASSET_BASE_URL (preflight refuses others).
    stack = await startStack({ env: { ASSET_BASE_URL: ASSETS } });
    mailer = createSmtpMailer({ url: stack.smtp.url, poolSize: 1 });
    await createList(stack.services.pool, { slug: 'weekly', name: 'ML UTD 周刊', language: 'zh-CN' });
  });
  afterAll(async () => {
    await mailer?.close();
    await stack?.close();
  });

  it('sends one personalised message to that address only, and creates no send', async () => {
    const { pool } = stack.services;
    const { issue } = await createIssueFromFile(pool, SAMPLE, { assetBaseUrl: ASSETS });
    const list = await pool.query<{ id: number }>("SELECT id FROM lists WHERE slug = 'weekly'");
    await upsertSubscribers(pool, list.rows[0].id, [{ email: 'Editor@Example.com', name: '<script>alert(1)</script>', attributes: {} }], 'confirmed');

    const result = await testSend(stack.services, mailer, issue.slug, 'editor@example.com', { list: 'weekly' });
    expect(result.response).toMatch(/^250/);
    expect(stack.smtp.messages).toHaveLength(1);
    const [captured] = stack.smtp.messages;
    expect(captured.to).toEqual(['editor@example.com']);
    const parsed = await simpleParser(captured.raw);
    expect(parsed.subject).toBe(`[TEST] ${issue.subject}`);
    expect(parsed.messageId).toBe(result.messageId);
    // The subscriber's own (hostile) name, escaped; the list's name in the footer; no open pixel.
    expect(parsed.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;，你好！');
    expect(parsed.html).not.toContain('<script>');
    // Shaped for the zh-CN list: its fixed strings, though the issue was stored without --list.
    expect(parsed.html).toContain('你订阅了“ML UTD 周刊”');
    expect(parsed.html).not.toContain('View in browser');
    expect(parsed.html).not.toContain('/o/');
    expect(parsed.text).toContain('<script>alert(1)</script>，你好！');

    const counts = await pool.query<{ sends: number; deliveries: number }>('SELECT (SELECT count(*) FROM sends)::int AS sends, (SELECT count(*) FROM deliveries)::int AS deliveries');
    expect(counts.rows[0]).toEqual({ sends: 0, deliveries: 0 });
  });

  it('escapes a hostile list name in the footer', async () => {
    await createList(stack.services.pool, { slug: 'hostile', name: '<script>alert(1)</script>' });
    const before = stack.smtp.messages.length;
    await testSend(stack.services, mailer, 'ml-utd-32', 'editor@example.com', { list: 'hostile' });
    const parsed = await simpleParser(stack.smtp.messages[before].raw);
    expect(parsed.html).toContain('subscribed to &lt;script&gt;alert(1)&lt;/script&gt;.');
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.text).toContain('subscribed to <script>alert(1)</script>.');
  });

  it('runs preflight first and refuses a bad address', async () => {
    const { pool } = stack.services;
    const { issue } = await createIssueFromFile(pool, path.resolve(__dirname, 'fixtures/preflight/image-alt.yaml'), { assetBaseUrl: ASSETS });
    const before = stack.smtp.messages.length;
    await expect(testSend(stack.services, mailer, issue.slug, 'editor@example.com')).rejects.toThrow(/failed preflight, nothing was sent/);
    await expect(testSend(stack.services, mailer, 'ml-utd-32', 'not-an-address')).rejects.toThrow("--test needs an email address: invalid email address 'not-an-address': it has no @");
    expect(stack.smtp.messages.length).toBe(before);
  });
});
