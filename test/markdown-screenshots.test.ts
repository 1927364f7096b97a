import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { GOLDEN_MARKDOWN_SAMPLE, SAMPLE_LIST_DEFAULTS } from '../src/render/golden';
import { readIssueFile } from '../src/render/issue-file';
import { preflightFile } from '../src/render/preflight-file';
import { findChromium, takeScreenshots } from '../src/render/preview';
import { renderIssue } from '../src/render/render-issue';
import { Links } from '../src/security/links';
import { TokenCodec } from '../src/security/tokens';
import { buildSingleMessage } from '../src/send/single-message';
import { isolatedEnv, TEST_SECRET } from './helpers';

/**
 * Phone and desktop screenshots of the Markdown sample and of the letter set's issue, light and dark, in real
 * Chromium. docs/ is rewritten only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
 */
const ASSETS = 'http://assets.tidings.test/';
const LETTER = fileURLToPath(new URL('../content/letter-december.md', import.meta.url));
const DOCS = fileURLToPath(new URL('../docs', import.meta.url));
const config = loadConfig(isolatedEnv({ ASSET_BASE_URL: ASSETS }));
let outDir: string;
let chromium: string;

async function messageOf(file: string, list: { name: string }, name: string) {
  const loaded = await readIssueFile(file, { assetBaseUrl: ASSETS, defaults: SAMPLE_LIST_DEFAULTS });
  expect(loaded.errors).toEqual([]);
  const content = loaded.content!;
  const rendered = await renderIssue(content, { assetBaseUrl: ASSETS, images: loaded.images });
  return buildSingleMessage({
    config,
    links: new Links(config.publicUrl, new TokenCodec(TEST_SECRET)),
    dkim: undefined,
    issue: { id: 1, slug: content.slug, subject: rendered.subject, html: rendered.html, text: rendered.text, defaultName: content.default_name },
    list: { id: 1, slug: 'list', ...list },
    recipient: { email: 'reader@example.com', name },
    messageNumber: 1,
  });
}

/** The page's colour at the top-left corner, and how much of the page differs from it. */
function looks(png: PNG): { corner: number[]; ink: number } {
  const corner = [png.data[0], png.data[1], png.data[2]];
  let ink = 0;
  for (let i = 0; i < png.data.length; i += 4) if (Math.abs(png.data[i] - corner[0]) + Math.abs(png.data[i + 1] - corner[1]) + Math.abs(png.data[i + 2] - corner[2]) > 24) ink++;
  return { corner, ink: ink / (png.width * png.height) };
}

async function shoot(html: string, base: string, colorScheme: 'light' | 'dark', widths: number[]) {
  const shots = await takeScreenshots(html, { executablePath: chromium, assetBaseUrl: ASSETS, widths, colorScheme, file: (width) => path.join(outDir, `${base}-${width}.png`) });
  return Promise.all(shots.map(async (s) => ({ ...s, png: PNG.sync.read(await readFile(s.file)) })));
}

beforeAll(async () => {
  chromium = (await findChromium())!;
  expect(chromium, 'Chromium is required: apt-get install -y chromium').toBeDefined();
  outDir = process.env.UPDATE_SCREENSHOTS ? DOCS : await mkdtemp(path.join(tmpdir(), 'tidings-shots-'));
});

describe('screenshots of Markdown issues', () => {
  it('the Markdown sample at 375 and 700 px, and at 700 px in dark mode', async () => {
    const { html } = await messageOf(GOLDEN_MARKDOWN_SAMPLE, { name: 'ML UTD 周刊' }, '张伟');
    for (const { png, width } of await shoot(html, 'ml-utd-32-md', 'light', [375, 700])) {
      expect(png.width).toBe(width);
      expect(png.height).toBeGreaterThan(4000);
      expect(looks(png).ink).toBeGreaterThan(0.3);
    }
    const [dark] = await shoot(html, 'ml-utd-32-md-dark', 'dark', [700]);
    const { corner, ink } = looks(dark.png);
    expect(Math.max(...corner), 'a dark page').toBeLessThan(40);
    expect(ink).toBeGreaterThan(0.3);
  }, 180_000);

  it('the letter set: its own issue passes preflight and renders light and dark', async () => {
    const report = await preflightFile(LETTER, { assetBaseUrl: ASSETS });
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    const { html, text } = await messageOf(LETTER, { name: 'Letters from the bindery' }, 'Sam');
    expect(html).toContain('Dear Sam,');
    expect(html).toContain('Mira Okafor');
    expect(html).toContain('Until January, warmly,');
    expect(html).toMatch(/class="btn" href="https:\/\/bindery\.example\.com\/workshops\/january"/);
    expect(html).toContain('Thursdays, 6–8 pm.'); // the footnote
    expect(text).toContain('Okafor Bindery · 14 Mill Lane');
    for (const { png } of await shoot(html, 'letter-december', 'light', [375, 700])) {
      expect(png.height).toBeGreaterThan(1200);
      expect(looks(png).ink).toBeGreaterThan(0.3);
    }
    const [dark] = await shoot(html, 'letter-december-dark', 'dark', [375]);
    expect(Math.max(...looks(dark.png).corner), 'a dark page').toBeLessThan(40);
  }, 180_000);
});
