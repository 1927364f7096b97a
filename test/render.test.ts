import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { loadContentFile, parseContent } from '../src/render/content';
import { renderIssue } from '../src/render/render-issue';
import { marker } from '../src/render/slots';

const options = { assetBaseUrl: 'https://assets.example.com/' };

async function templateSet(layout: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidings-templates-'));
  await mkdir(path.join(dir, 'custom', 'partials'), { recursive: true });
  await writeFile(path.join(dir, 'custom', 'layout.mjml.hbs'), layout);
  return dir;
}

describe('rendering an issue', () => {
  it('renders the sample issue once, with markers where personal values go', async () => {
    const { content } = await loadContentFile(SAMPLE_ISSUE);
    const rendered = await renderIssue(content, options);
    expect(rendered.subject).toBe('[ML UTD 32] 最新的机器学习—数据生活');
    for (const title of ['生产机器学习监控:异常值、漂移、解释者和统计性能', 'MLCommons 发起并联合了 50 多位全球技术和学术领袖', 'OpenLineage 简介', '无奖励评估代理', '100 种语言的实体链接', '谷歌发布其 Objectron 数据集']) {
      expect(rendered.html).toContain(title);
      expect(rendered.text).toContain(title);
    }
    expect(rendered.html).toContain('https://assets.example.com/img/3ba0c7b9305d6af94d4ab0362f3aeefd.png');
    for (const slot of ['name', 'unsubscribeUrl', 'openPixelUrl', 'webVersionUrl', 'listName'] as const) expect(rendered.html).toContain(marker(slot));
    expect(rendered.text).toContain(marker('unsubscribeUrl'));
    expect(rendered.text).not.toContain(content.preheader + '\u034f');
    expect(rendered.text).not.toMatch(/<[a-z]+[ >]/);
  });

  it('stops on a variable the template uses but the issue does not provide, naming file and line', async () => {
    const dir = await templateSet('<mjml><mj-body>\n<mj-section><mj-column><mj-text>{{issue.nosuchfield}}</mj-text></mj-column></mj-section></mj-body></mjml>');
    const content = parseContent((await loadContentFile(SAMPLE_ISSUE)).source.replace('template: default', 'template: custom'), 'x.yaml');
    await expect(renderIssue(content, { ...options, templatesDir: dir })).rejects.toThrow(/layout\.mjml\.hbs:2: "nosuchfield" not defined/);
  });

  it('stops on invalid MJML with the line', async () => {
    const dir = await templateSet('<mjml><mj-body>\n<mj-section>\n<mj-text>text outside a column</mj-text></mj-section></mj-body></mjml>');
    const content = parseContent((await loadContentFile(SAMPLE_ISSUE)).source.replace('template: default', 'template: custom'), 'x.yaml');
    await expect(renderIssue(content, { ...options, templatesDir: dir })).rejects.toThrow(/MJML error at line 3/);
  });

  it('refuses links that are not http(s) or mailto, naming the field', async () => {
    const source = (await loadContentFile(SAMPLE_ISSUE)).source.replace('intro: |\n', 'intro: |\n  [click](javascript:alert(1))\n');
    await expect(renderIssue(parseContent(source, 'x.yaml'), options)).rejects.toThrow("field 'intro': the link 'click' → 'javascript:alert(1)' is not an http(s) or mailto URL");
  });

  it('names the field of invalid content', () => {
    expect(() => parseContent('slug: x\nsubject: ""\ntitle: t\npostal_address: p\n', 'bad.yaml')).toThrow('bad.yaml:2: subject is empty: the inbox shows it');
    expect(() => parseContent('slug: [unclosed\n', 'broken.yaml')).toThrow(/broken\.yaml:\d+: YAML syntax error/);
  });
});
