import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkTemplateSet, listTemplateSets } from '../src/render/template-sets';
import { TEMPLATES_DIR } from '../src/render/render-issue';

describe('template sets', () => {
  it('lists the default and letter sets with what each is for and their files', async () => {
    const sets = await listTemplateSets();
    expect(sets.map((s) => s.name)).toEqual(expect.arrayContaining(['default', 'letter']));
    const letter = sets.find((s) => s.name === 'letter')!;
    expect(letter.description).toBe('A personal letter: one column, the writer\'s portrait and name, the text, the sign-off.');
    expect(letter.files).toEqual(['layout.mjml.hbs', 'partials/footer.mjml.hbs', 'partials/sign-off.mjml.hbs', 'partials/signature-head.mjml.hbs']);
  });

  it('both shipped sets compile in strict mode and render an issue that uses every field, and one that uses none', async () => {
    expect(await checkTemplateSet('default')).toEqual([]);
    expect(await checkTemplateSet('letter')).toEqual([]);
  }, 60_000);

  it('a syntax error in any partial is reported with its file and line, even one no issue has reached yet', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidings-templates-'));
    await cp(path.join(TEMPLATES_DIR, 'letter'), path.join(dir, 'broken'), { recursive: true });
    await writeFile(path.join(dir, 'broken', 'partials', 'sign-off.mjml.hbs'), '{{!-- sign-off --}}\n<mj-text>\n{{#if issue.author}}\n{{issue.author}}\n</mj-text>\n');
    const problems = await checkTemplateSet('broken', dir);
    expect(problems).toHaveLength(1);
    expect(problems[0].file).toBe(path.join(dir, 'broken', 'partials', 'sign-off.mjml.hbs'));
    expect(problems[0].line).toBe(6);
    expect(problems[0].message).toMatch(/Expecting .*got 'EOF'/);
  });

  it('a variable the issue does not provide is reported with the partial\'s file and line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidings-templates-'));
    await cp(path.join(TEMPLATES_DIR, 'letter'), path.join(dir, 'typo'), { recursive: true });
    await writeFile(path.join(dir, 'typo', 'partials', 'sign-off.mjml.hbs'), '{{!-- sign-off --}}\n<mj-text>\n{{issue.signoff}}\n</mj-text>\n');
    expect(await checkTemplateSet('typo', dir)).toEqual([
      { file: path.join(dir, 'typo', 'partials', 'sign-off.mjml.hbs'), line: 3, message: expect.stringMatching(/"signoff" not defined/) },
    ]);
    expect((await checkTemplateSet('nope', dir))[0].message).toMatch(/no template set 'nope'.*known sets are typo/);
  });

  it('a layout that hides the preheader with <mj-preview> (white text, HTML_FONT_LOW_CONTRAST) is reported with its line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidings-templates-'));
    await cp(path.join(TEMPLATES_DIR, 'letter'), path.join(dir, 'white'), { recursive: true });
    const layout = path.join(dir, 'white', 'layout.mjml.hbs');
    const source = await readFile(layout, 'utf8');
    await writeFile(layout, source.replace('  <mj-head>\n', '  <mj-head>\n    <mj-preview>{{issue.preheader}}</mj-preview>\n'));
    const line = source.split('\n').findIndex((l) => l.includes('<mj-head>')) + 2;
    expect(await checkTemplateSet('white', dir)).toEqual([{ file: layout, line, message: expect.stringMatching(/^<mj-preview> colours the preheader #ffffff.*HTML_FONT_LOW_CONTRAST.*<mj-raw>/) }]);
  });

  it('tidings template list / check on the command line', async () => {
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', SECRET_KEY: 'x'.repeat(32) };
    const bin = path.resolve(__dirname, '../bin/tidings.mjs');
    const list = await run(process.execPath, [bin, 'template', 'list'], { env });
    expect(list.stdout).toMatch(/^letter\s+A personal letter/m);
    const check = await run(process.execPath, [bin, 'template', 'check', 'letter'], { env });
    expect(check.stdout).toContain('ok: template set letter compiles and renders');
  }, 60_000);
});
