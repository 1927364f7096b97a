import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { loadContentFile } from '../src/render/content';
import { renderIssue } from '../src/render/render-issue';

/**
 * The sample issue (ML UTD #32, /work/shared/samples/ml-utd-32.md, copied to test/fixtures/ml-utd-32.md) is
 * reproduced faithfully: every heading, paragraph, quote, list item and credit of the source appears in
 * the rendered email word for word, and every link of the source is a link of the email.
 */
const SOURCE = path.resolve(__dirname, 'fixtures/ml-utd-32.md');
const CONTENT = path.resolve(__dirname, '../content/ml-utd-32.yaml');
const ASSETS = 'https://assets.example.com/';

function visible(html: string): { text: string; hrefs: Set<string>; images: string[] } {
  let text = '';
  let hidden = 0;
  const hrefs = new Set<string>();
  const images: string[] = [];
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'a' && attrs.href) hrefs.add(attrs.href);
      if (name === 'img') images.push(attrs.src);
      if (name === 'style' || name === 'title') hidden++;
    },
    ontext(t) {
      if (!hidden) text += t;
    },
    onclosetag(name) {
      if (name === 'style' || name === 'title') hidden--;
    },
  });
  parser.write(html);
  parser.end();
  return { text, hrefs, images };
}

const squash = (s: string) => s.replace(/[\s\u00a0\u200c\u034f]+/g, '');

/** The text units of the Markdown source, with the Markdown syntax taken out. */
function sourceUnits(md: string): string[] {
  const body = md.split('\n# 不断学习')[0];
  return body
    .split('\n')
    .filter((line) => !/^\s*(>\s*)?$/.test(line) && !line.startsWith('> 原文') && !line.startsWith('!['))
    .map((line) =>
      line
        .replace(/^(>\s*)?(\*\s+|#+\s+)?/, '')
        .replace(/\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*\)/g, '$1')
        .replace(/\*/g, ''),
    )
    .filter((line) => line.trim() !== '');
}

describe('the sample issue', () => {
  it('every text of the source appears in the email word for word', async () => {
    const md = await readFile(SOURCE, 'utf8');
    const { content } = await loadContentFile(CONTENT);
    const rendered = await renderIssue(content, { assetBaseUrl: ASSETS });
    const page = squash(visible(rendered.html).text);
    const units = sourceUnits(md);
    expect(units.length).toBeGreaterThan(60);
    const missing = units.filter((unit) => !page.includes(squash(unit)));
    expect(missing).toEqual([]);
  });

  it('keeps the "keep learning" posts, every link and every image of the source', async () => {
    const md = await readFile(SOURCE, 'utf8');
    const { content } = await loadContentFile(CONTENT);
    const rendered = await renderIssue(content, { assetBaseUrl: ASSETS });
    const { text, hrefs, images } = visible(rendered.html);
    for (const post of ['[ML UTD 31]机器学习最新—数据生活', '《生活与数据》周刊第 31 期', '[CheckThisOut] Python 丰富的终端文本格式化库', 'Rich 是一个 Python 库，用于终端中丰富的文本和漂亮的格式。', '在远程优先的数据工作人员中生存和发展的技巧', '提示:它不仅仅是 Zoom 和 Github', 'towardsdatascience.com']) {
      expect(text).toContain(post);
    }
    const links = [...md.matchAll(/\]\((https?:\/\/[^)\s]+)\)/g), ...md.matchAll(/<(https?:\/\/[^>]+)>/g)].map((m) => m[1]);
    expect(new Set(links).size).toBe(43);
    expect(links.filter((url) => !hrefs.has(url))).toEqual([]);
    const sourceImages = [...md.matchAll(/!\[\]\((img\/[0-9a-f]+\.png)\)/g)].map((m) => ASSETS + m[1]);
    expect(sourceImages).toHaveLength(7);
    expect(images.filter((src) => src.startsWith(ASSETS))).toEqual(sourceImages);
    // The placeholder images ship under public/, so the demo shows pictures offline.
    for (const image of sourceImages) await readFile(path.resolve(__dirname, '../public', image.slice(ASSETS.length)));
  });
});
