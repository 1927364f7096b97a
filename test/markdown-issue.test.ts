import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMarkdownIssue, slugify } from '../src/markdown';
import { loadContentFile } from '../src/render/content';
import { GOLDEN_MARKDOWN_SAMPLE, goldenMarkdownFiles, renderGoldenMarkdown, SAMPLE_LIST_DEFAULTS } from '../src/render/golden';
import { readIssueFile } from '../src/render/issue-file';
import { preflightFile } from '../src/render/preflight-file';
import { renderIssue } from '../src/render/render-issue';

const ASSETS = 'https://assets.example.com/';
const DEFAULTS = { postal_address: '1 Example Street, Springfield', default_name: 'Reader' };
const YAML_SAMPLE = path.resolve(__dirname, '../content/ml-utd-32.yaml');
const SHARED_SAMPLE = path.resolve(__dirname, '../../shared/samples/ml-utd-32.md');

/** Renders a Markdown issue given as text; returns its content, its HTML and what the check found. */
async function renderMarkdown(source: string, defaults = DEFAULTS) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidings-md-'));
  const file = path.join(dir, 'issue.md');
  await writeFile(file, source);
  const loaded = await readIssueFile(file, { assetBaseUrl: ASSETS, defaults });
  expect(loaded.errors, JSON.stringify(loaded.errors)).toEqual([]);
  const rendered = await renderIssue(loaded.content!, { assetBaseUrl: ASSETS, images: loaded.images });
  return { content: loaded.content!, html: rendered.html, text: rendered.text, warnings: loaded.warnings, file };
}

describe('the sample, as written in Markdown', () => {
  it('the fixture is the shared sample byte for byte (no front matter added)', () => {
    const fixture = readFileSync(GOLDEN_MARKDOWN_SAMPLE);
    if (existsSync(SHARED_SAMPLE)) expect(fixture.equals(readFileSync(SHARED_SAMPLE))).toBe(true);
    expect(fixture.toString('utf8').startsWith('# [ML UTD 32]')).toBe(true);
  });

  it('becomes the same issue as the YAML version: every part, every article, every link', async () => {
    const md = checkMarkdownIssue(readFileSync(GOLDEN_MARKDOWN_SAMPLE, 'utf8'), 'ml-utd-32.md', SAMPLE_LIST_DEFAULTS);
    expect(md.problems).toEqual([]);
    const { content: yaml } = await loadContentFile(YAML_SAMPLE);
    const c = md.content!;
    expect(c.slug).toBe('ml-utd-32');
    expect(c.subject).toBe('[ML UTD 32]最新的机器学习—数据生活');
    expect(c.title).toBe('[ML UTD 32]最新的机器学习—数据生活');
    expect(c.preheader).toBe(yaml.preheader);
    for (const key of ['subtitle', 'original_url', 'intro', 'closing', 'keep_learning', 'default_name', 'postal_address'] as const) {
      expect(c[key], key).toEqual(yaml[key] && typeof yaml[key] === 'string' ? (yaml[key] as string).trim() : yaml[key]);
    }
    expect(c.stay_up_to_date).toEqual({ title: yaml.stay_up_to_date!.title, body: yaml.stay_up_to_date!.body.trim() });
    expect(c.hero?.src).toBe(yaml.hero?.src);
    expect(c.sections.map((s) => s.title)).toEqual(['应用程序', '理论']);
    expect(c.sections.map((s) => s.articles.length)).toEqual([3, 3]);
    c.sections.forEach((section, s) =>
      section.articles.forEach((article, a) => {
        const expected = yaml.sections[s].articles[a];
        const where = `article ${s}.${a}`;
        expect(article.title, where).toBe(expected.title);
        expect(article.image?.src, where).toBe(expected.image?.src);
        expect(article.caption, where).toBe(expected.caption);
        expect(article.quote, where).toBe(expected.quote.trim());
        expect(article.read_more, where).toBe(expected.read_more);
        expect(article.read_more_label, where).toBe(expected.read_more_label);
        expect(article.links_heading, where).toBe(expected.links_heading);
        expect(article.links, where).toEqual(expected.links);
        expect(article.credit, where).toBe(expected.credit);
        expect(article.body, where).toBe('');
      }),
    );
    expect(c.keep_learning?.posts).toHaveLength(3);
  });

  it('images without alt text get their caption (or the title) as alt, with a warning naming the line', () => {
    const md = checkMarkdownIssue(readFileSync(GOLDEN_MARKDOWN_SAMPLE, 'utf8'), 'ml-utd-32.md', SAMPLE_LIST_DEFAULTS);
    expect(md.warnings.map((w) => w.line)).toEqual([7, 27, 47, 67, 93, 111, 127]);
    expect(md.warnings[1].message).toContain("its caption is used instead ('The anatomy of production ML')");
    expect(md.content!.sections[0].articles[0].image?.alt).toBe('The anatomy of production ML');
    expect(md.content!.sections[0].articles[2].image?.alt).toBe('OpenLineage 简介'); // the caption is only a link
  });

  it('renders exactly to test/golden/ml-utd-32-md.html and .txt, holding every part of the YAML version', async () => {
    const rendered = await renderGoldenMarkdown();
    expect(rendered.html).toBe(readFileSync(goldenMarkdownFiles.html, 'utf8'));
    expect(rendered.text).toBe(readFileSync(goldenMarkdownFiles.text, 'utf8'));
    const { html } = rendered;
    expect(html).toContain('[ML UTD 32]最新的机器学习—数据生活</h1>');
    expect(html).toContain('第 32 期每周简讯来自<a href="https://lifewithdata.org"');
    expect(html).toContain('img/fa3307081f0ca3a0b6fa229a3d071141.png'); // hero
    expect(html).toContain('致力于提供精心策划的机器学习&amp;软件工程更新');
    expect(html).toMatch(/>原文<\/a>/);
    for (const title of ['应用程序', '理论', '生产机器学习监控:异常值、漂移、解释者和统计性能', 'OpenLineage 简介', '谷歌发布其 Objectron 数据集', '保持最新状态', '不断学习']) expect(html).toContain(title);
    expect(html.match(/class="btn"/g)).toHaveLength(6); // six "continue reading" buttons
    expect(html.match(/《丛林奇兵》/g)!.length).toBe(5);
    expect(html).toContain('信用: <a href="https://twitter.com/GoogleAI"');
    expect(html).toContain('github<a href="https://github.com/google-research-datasets/Objectron"');
    expect(html).toContain('Rich 是一个 Python 库，用于终端中丰富的文本和漂亮的格式。'); // a link card's summary
    expect(html).toContain('towardsdatascience.com</div>'); // a link card's site
    expect(html).toContain('原载于 2021 年 1 月 20 日');
  });

  it('is sendable: issue check finds no errors once the list gives the postal address and greeting name', async () => {
    const report = await preflightFile(GOLDEN_MARKDOWN_SAMPLE, { assetBaseUrl: ASSETS, defaults: SAMPLE_LIST_DEFAULTS });
    expect(report.errors).toEqual([]);
    expect(report.warnings.map((w) => w.rule)).toEqual(Array(7).fill('image-alt'));
  });

  it('without the list\'s settings, names each missing one (no line: it is not in the file)', async () => {
    const report = await preflightFile(GOLDEN_MARKDOWN_SAMPLE, { assetBaseUrl: ASSETS });
    expect(report.errors.map((f) => [f.rule, f.where])).toEqual([
      ['content', `${GOLDEN_MARKDOWN_SAMPLE} (default_name, line —)`],
      ['postal-address-missing', `${GOLDEN_MARKDOWN_SAMPLE} (postal_address, line —)`],
    ]);
    expect(report.errors[1].message).toMatch(/^postal_address is missing: bulk mail must carry your postal address\. Add postal_address: to the front matter or set it on the list/);
  });
});

describe('front matter and what comes from the first heading', () => {
  it('subject and slug come from the first heading; front matter overrides them', async () => {
    expect(slugify('[ML UTD 32]最新的机器学习—数据生活')).toBe('ml-utd-32');
    expect(slugify('Café  update: März 2026!')).toBe('cafe-update-marz-2026');
    const plain = await renderMarkdown('# Our March update\n\nHello there.\n');
    expect(plain.content).toMatchObject({ subject: 'Our March update', slug: 'our-march-update', title: 'Our March update', preheader: 'Hello there.', template: 'default' });
    const fronted = await renderMarkdown('---\nsubject: Custom subject\nslug: custom-slug\npreheader: Look inside\npostal_address: 9 Other Road\n---\n# Our March update\n\nHello.\n');
    expect(fronted.content).toMatchObject({ subject: 'Custom subject', slug: 'custom-slug', preheader: 'Look inside', postal_address: '9 Other Road' });
  });

  it('a Chinese-only title gives the slug from the file name', () => {
    expect(checkMarkdownIssue('# 三月简讯\n\n你好。\n', '/x/2026-03-简讯.md', DEFAULTS).content?.slug).toBe('2026-03');
  });

  it('an unknown front matter field is an error naming the line and the closest known field', () => {
    const checked = checkMarkdownIssue('---\nsubjet: Hello\npostal_adress: 1 Road\n---\n# Title\n', 'x.md', DEFAULTS);
    expect(checked.problems.map((p) => [p.line, p.message.split(' Known')[0]])).toEqual([
      [2, "unknown front matter field 'subjet' — did you mean 'subject'?"],
      [3, "unknown front matter field 'postal_adress' — did you mean 'postal_address'?"],
    ]);
  });

  it('a YAML mistake in the front matter names its line in the file', () => {
    const checked = checkMarkdownIssue('---\nsubject: ok\nslug: [unclosed\n---\n# Title\n', 'x.md', DEFAULTS);
    expect(checked.problems[0].line).toBeGreaterThanOrEqual(3); // the unclosed list runs to the end of the front matter
    expect(checked.problems[0].line).toBeLessThanOrEqual(4);
    expect(checked.problems[0].message).toMatch(/^YAML syntax error in the front matter: Flow sequence/);
  });
});

describe('every Markdown construct becomes email-safe HTML', () => {
  const doc = (body: string) => renderMarkdown(`# Constructs\n\n${body}\n`);

  it('headings, paragraphs, emphasis, links and line breaks', async () => {
    // Headings two levels under the articles' stay headings inside the article's text.
    const { html } = await doc('Some *emphasis*, **strong**, ~~gone~~ and `code`, a [link](https://example.com/a "Title").  \nA second line.\n\n## Part\n\n### Article\n\nText.\n\n#### A heading\n\n##### A smaller one');
    expect(html).toContain('<em>emphasis</em>');
    expect(html).toContain('<strong>strong</strong>');
    expect(html).toContain('<del>gone</del>');
    expect(html).toMatch(/<code style="[^"]*monospace[^"]*">code<\/code>/);
    expect(html).toMatch(/<a href="https:\/\/example\.com\/a" title="Title" style="color: #2f5bb7;">link<\/a>/);
    expect(html).toMatch(/<br>\s*A second line/);
    expect(html).toMatch(/<h4 style="[^"]*font-size:16px[^"]*">A heading<\/h4>/);
    expect(html).toMatch(/<h5 style="[^"]*font-size:15px[^"]*">A smaller one<\/h5>/);
  });

  it('ordered lists keep their start number; lists nest', async () => {
    const { html } = await doc('3. third\n4. fourth\n   - nested a\n   - nested b\n     1. deeper');
    expect(html).toMatch(/<ol start="3"><li>third<\/li><li>fourth<ul><li>nested a<\/li><li>nested b<ol><li>deeper<\/li><\/ol><\/li><\/ul><\/li><\/ol>/);
  });

  it('block quotes become a bordered table cell (Outlook keeps it)', async () => {
    const { html } = await doc('> Quoted **words**\n>\n> Second paragraph');
    expect(html).toMatch(/<td style="border-left:4px solid #b9c7e6;[^"]*"><p>Quoted <strong>words<\/strong><\/p><p>Second paragraph<\/p><\/td>/);
  });

  it('a standalone image becomes an mj-image at the column width, with its alt text; its size is read from the file', async () => {
    const { html } = await doc('Before.\n\n![The anatomy of production ML](img/3ba0c7b9305d6af94d4ab0362f3aeefd.png)\n\nAfter, with an inline ![icon](https://cdn.example.com/i.png) image.');
    expect(html).toMatch(/<img alt="The anatomy of production ML" src="https:\/\/assets\.example\.com\/img\/3ba0c7b9305d6af94d4ab0362f3aeefd\.png" style="[^"]*width:100%[^"]*" width="552" height="auto">/);
    expect(html).toMatch(/<img src="https:\/\/cdn\.example\.com\/i\.png" alt="icon" style="max-width:100%;/);
  });

  it('tables keep their alignment and borders', async () => {
    const { html } = await doc('| Plan | Price |\n|:-----|------:|\n| Free | 0 € |\n| Pro | 9 € |');
    expect(html).toMatch(/<th style="border:1px solid #e3e8f2;padding:6px 10px;text-align:left;[^"]*">Plan<\/th><th style="[^"]*text-align:right;[^"]*">Price<\/th>/);
    expect(html).toMatch(/<td style="[^"]*text-align:right;[^"]*">9 €<\/td>/);
  });

  it('code blocks are escaped, monospaced and wrap', async () => {
    const { html } = await doc('```html\n<script>alert("x")</script>\n```');
    expect(html).toMatch(/<pre style="[^"]*monospace[^"]*white-space:pre-wrap[^"]*">&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;<\/pre>/);
    expect(html).not.toContain('<script>');
  });

  it('horizontal rules, footnotes and the call-to-action button', async () => {
    const { html, text } = await doc('Above.\n\n---\n\nA claim[^src] and another[^2].\n\n[Get your ticket](https://example.com/tickets "button")\n\nThe end.\n\n[^src]: Where it comes from.\n[^2]: A second note.');
    expect(html).toMatch(/<hr style="border:0;border-top:1px solid #e6e9ef;/);
    expect(html).toContain('A claim<sup style="font-size:75%;line-height:0;">[1]</sup> and another<sup style="font-size:75%;line-height:0;">[2]</sup>');
    expect(html).toMatch(/<ol style="margin:0;padding:0 0 0 20px;"><li style="margin:0 0 4px 0;">Where it comes from\.<\/li><li style="margin:0 0 4px 0;">A second note\.<\/li><\/ol>/);
    expect(html).toMatch(/<td align="center" bgcolor="#2f5bb7"[^>]*><a class="btn" href="https:\/\/example\.com\/tickets" style="display: ?inline-block;[^"]*">Get your ticket<\/a>/);
    expect(text).toContain('Get your ticket [https://example.com/tickets]');
  });

  it('raw HTML is shown as text unless the issue opts in, and then passes the allow-list', async () => {
    const hostile = 'Hi <b onclick="steal()">bold</b> <script>alert(1)</script><img src="javascript:x" onerror="x()"> <a href="javascript:evil()">x</a> <span style="color:red;background:url(https://t.example/p)">s</span> <iframe src="https://evil.example"></iframe>';
    const escaped = await doc(hostile);
    expect(escaped.html).toContain('&lt;b onclick=&quot;steal()&quot;&gt;bold&lt;/b&gt;');
    expect(escaped.html).not.toMatch(/<script|<iframe|<b onclick|<img src="javascript/);
    const allowed = await renderMarkdown(`---\nallow_html: true\n---\n# Constructs\n\n${hostile}\n\n<table><tr><td align="right" style="color:#333">cell</td></tr></table>\n`);
    expect(allowed.html).toContain('<b>bold</b>');
    expect(allowed.html).toContain('<span style="color:red">s</span>');
    expect(allowed.html).toContain('<td align="right" style="color:#333">cell</td>');
    expect(allowed.html).not.toMatch(/<script|<iframe|onclick|onerror|javascript:|url\(/);
  });

  it('CJK, emoji and right-to-left text; long URLs may break', async () => {
    const { html } = await doc('中文段落，日本語の文章、한국어 문장 🎉👩🏽‍💻\n\nשלום לכולם, זה העלון שלנו\n\nمرحبا بكم في النشرة\n\nSee [https://example.com/a/very/long/path/that/would/not/otherwise/wrap/on/a/phone](https://example.com/a/very/long/path/that/would/not/otherwise/wrap/on/a/phone)');
    expect(html).toContain('<p>中文段落，日本語の文章、한국어 문장 🎉👩🏽‍💻</p>');
    expect(html).toContain('<p dir="rtl" style="text-align:right;">שלום לכולם, זה העלון שלנו</p>');
    expect(html).toContain('<p dir="rtl" style="text-align:right;">مرحبا بكم في النشرة</p>');
    expect(html).toMatch(/<a href="https:\/\/example\.com\/a\/very[^"]*" style="color: #2f5bb7; word-break: break-all; overflow-wrap: anywhere;">/);
  });
});

describe('the structure of other newsletters', () => {
  it('without a table of contents, a heading with sub-headings is a section and they are its articles; text after a final rule is the closing', async () => {
    const { content, html } = await renderMarkdown(
      '# Acme product update\n\nHi, here is what changed.\n\n## New\n\nTwo things shipped.\n\n### Dashboards\n\n![A dashboard](https://cdn.example.com/d.png)\n\nRebuilt from scratch.\n\n[Try it](https://acme.example.com/d "button")\n\n### Exports\n\nCSV and JSON.\n\n## Fixed\n\n### Login\n\nNo more loops.\n\n---\n\nYou get this because you use Acme.\n',
    );
    expect(content.sections.map((s) => [s.title, s.intro, s.articles.map((a) => a.title)])).toEqual([
      ['New', 'Two things shipped.', ['Dashboards', 'Exports']],
      ['Fixed', '', ['Login']],
    ]);
    expect(content.sections[0].articles[0]).toMatchObject({ image: { src: 'https://cdn.example.com/d.png', alt: 'A dashboard' }, caption: '', quote: '' });
    expect(content.sections[0].articles[0].body).toBe('Rebuilt from scratch.\n\n[Try it](https://acme.example.com/d "button")');
    expect(content.closing).toBe('You get this because you use Acme.');
    expect(html).toContain('Two things shipped.');
    expect(html).toMatch(/class="btn" href="https:\/\/acme\.example\.com\/d"/);
  });

  it('headings without sub-headings are articles of a section without a title (no empty band)', async () => {
    const { content, html } = await renderMarkdown('# Weekly links\n\nThree good reads.\n\n## First read\n\nWhy it matters.\n\n## Second read\n\nMore.\n');
    expect(content.sections).toHaveLength(1);
    expect(content.sections[0].title).toBe('');
    expect(content.sections[0].articles.map((a) => a.title)).toEqual(['First read', 'Second read']);
    expect(html).not.toContain('class="band"');
  });
});
