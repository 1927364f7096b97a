import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContentFile, parseContent } from '../src/render/content';
import { renderIssue } from '../src/render/render-issue';

const BASE = path.resolve(__dirname, 'fixtures/preflight/base.yaml');
const options = { assetBaseUrl: 'https://assets.example.com/' };

/** A template set `custom` with the given layout and partials, in a fresh folder. */
async function templateSet(layout: string, partials: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidings-templates-'));
  await mkdir(path.join(dir, 'custom', 'partials'), { recursive: true });
  await writeFile(path.join(dir, 'custom', 'layout.mjml.hbs'), layout);
  for (const [name, source] of Object.entries(partials)) await writeFile(path.join(dir, 'custom', 'partials', `${name}.mjml.hbs`), source);
  return dir;
}

async function render(templatesDir: string) {
  const content = parseContent((await loadContentFile(BASE)).source.replace('template: default', 'template: custom'), 'base.yaml');
  return renderIssue(content, { ...options, templatesDir });
}

const LAYOUT_WITH_FOOTER = '<mjml>\n<mj-body>\n{{> footer}}\n</mj-body>\n</mjml>\n';

describe('template and MJML errors name the file and line', () => {
  it('a variable missing in the layout: layout file, line and column', async () => {
    const dir = await templateSet('<mjml><mj-body>\n<mj-section><mj-column>\n<mj-text>{{issue.sponsor}}</mj-text></mj-column></mj-section></mj-body></mjml>');
    await expect(render(dir)).rejects.toMatchObject({
      code: 'TEMPLATE_ERROR',
      message: expect.stringMatching(/custom\/layout\.mjml\.hbs:3: "sponsor" not defined \(column \d+\): the template uses a variable the issue does not provide/),
    });
  });

  it('a variable missing in a partial: the partial\'s file and line, not the layout\'s', async () => {
    const dir = await templateSet(LAYOUT_WITH_FOOTER, { footer: '{{!-- footer --}}\n<mj-section><mj-column>\n<mj-text>{{issue.postalAdress}}</mj-text>\n</mj-column></mj-section>\n' });
    await expect(render(dir)).rejects.toThrow(/custom\/partials\/footer\.mjml\.hbs:3: "postalAdress" not defined/);
  });

  it('a Handlebars syntax error in a partial: the partial\'s file and line', async () => {
    const dir = await templateSet(LAYOUT_WITH_FOOTER, { footer: '<mj-section><mj-column>\n<mj-text>\n{{#if issue.title}}open block never closed\n</mj-text></mj-column></mj-section>\n' });
    await expect(render(dir)).rejects.toMatchObject({ code: 'TEMPLATE_ERROR', message: expect.stringMatching(/custom\/partials\/footer\.mjml\.hbs:5: Parse error on line 5: Expecting .*got 'EOF' \(a block such as \{\{#if\}\} is not closed\)/) });
  });

  it('invalid MJML: the line of the generated MJML and the text near it', async () => {
    const dir = await templateSet('<mjml>\n<mj-body>\n<mj-section>\n<mj-text>{{issue.title}} outside a column</mj-text>\n</mj-section>\n</mj-body>\n</mjml>\n');
    await expect(render(dir)).rejects.toMatchObject({
      code: 'MJML_ERROR',
      message: expect.stringMatching(/custom\/layout\.mjml\.hbs: MJML error at line 4 of the generated MJML \(<mj-text>\): mj-text cannot be used inside mj-section.* — near: <mj-text>一期小简讯 outside a column<\/mj-text>/),
    });
  });

  it('an unknown template set says where it looked', async () => {
    await expect(render(await mkdtemp(path.join(tmpdir(), 'tidings-empty-')))).rejects.toThrow(/template set 'custom' not found: expected .*custom\/layout\.mjml\.hbs and partials\//);
  });
});

describe('personal data in templates', () => {
  it('refuses a triple-stash on subscriber data, naming file and line', async () => {
    const dir = await templateSet('<mjml>\n<mj-body>\n<mj-section><mj-column><mj-text>\n{{{subscriber.name}}}\n</mj-text></mj-column></mj-section>\n</mj-body>\n</mjml>\n');
    await expect(render(dir)).rejects.toThrow(/custom\/layout\.mjml\.hbs:4: \{\{\{subscriber\.name\}\}\} would insert personal data unescaped; use two braces/);
    const partial = await templateSet(LAYOUT_WITH_FOOTER, { footer: '<mj-section><mj-column><mj-text>\n{{{~ @root.list.name ~}}}</mj-text></mj-column></mj-section>\n' });
    await expect(render(partial)).rejects.toThrow(/custom\/partials\/footer\.mjml\.hbs:2: .* would insert personal data unescaped/);
  });
});
