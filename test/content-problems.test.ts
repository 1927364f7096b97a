import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { closest } from '../src/render/content-problems';
import { checkContent, parseContent } from '../src/render/content';
import { LocalMediaStore } from '../src/media/media-store';
import { preflightFile } from '../src/render/preflight-file';

const FIXTURES = path.resolve(__dirname, 'fixtures/content-problems');
const ASSETS = 'https://assets.tidings.test/';
const PUBLIC_URL = 'http://127.0.0.1:3999';

async function check(fixture: string) {
  const media = new LocalMediaStore({ dir: await mkdtemp(path.join(tmpdir(), 'tidings-media-')), baseUrl: `${PUBLIC_URL}/media/`, maxBytes: 10 * 1024 * 1024, maxWidth: 1200 });
  return preflightFile(path.join(FIXTURES, fixture), { assetBaseUrl: ASSETS, publicUrl: PUBLIC_URL, media });
}

/** What zod would have said: none of it may reach an operator. */
const ZOD_PHRASING = /expected (string|array|object|number|boolean), received|Invalid input|Unrecognized key|Too small|Too big/i;

describe('unknown fields (issue 11.5)', () => {
  it('an unknown field is an error naming the field, its line and the closest known field', () => {
    const { problems } = checkContent('slug: x\nsubject: s\ntitle: t\npostal_address: p\nsections:\n  - title: A\n    articles:\n      - title: B\n        read_mroe: https://example.com\n', 'x.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 9, field: 'sections.0.articles.0.read_mroe' });
    expect(problems[0].message).toMatch(/^unknown field 'read_mroe' in sections\.0\.articles\.0 — did you mean 'read_more'\? Known fields here: title, image, caption, quote, read_more,/);
  });

  it('at the top level too, and with no suggestion when nothing is close', () => {
    const { problems } = checkContent('slug: x\nsubjet: s\ntitle: t\npostal_address: p\nsponsor: Acme\n', 'x.yaml');
    expect(problems.map((p) => [p.line, p.message.split(' Known')[0]])).toEqual([
      [2, "unknown field 'subjet' — did you mean 'subject'?"],
      [5, "unknown field 'sponsor'"],
      [undefined, 'subject is missing: the inbox shows it'],
    ]);
  });

  it('suggests only close names', () => {
    expect(closest('read_mroe', ['read_more', 'quote'])).toBe('read_more');
    expect(closest('postal_adress', ['postal_address'])).toBe('postal_address');
    expect(closest('sponsor', ['slug', 'subject', 'title'])).toBeUndefined();
  });

  it('issue create refuses the file, listing every problem with its line', () => {
    expect(() => parseContent('slug: x\nsubjet: s\ntitle: t\npostal_address: p\n', 'bad.yaml')).toThrow(/^bad\.yaml:2: unknown field 'subjet' — did you mean 'subject'\?.*\nbad\.yaml: subject is missing/s);
  });
});

describe('issue check reports every problem in one run, in plain words (issue 11.6, 11.7)', () => {
  it('a YAML issue: unknown field, missing image, image without alt, bad link scheme and a URL with a space, each with its line', async () => {
    const report = await check('many-problems.yaml');
    const file = path.join(FIXTURES, 'many-problems.yaml');
    expect(report.errors.map((f) => [f.rule, f.where])).toEqual([
      ['unknown-field', `${file}:15`],
      ['image-missing', `${file}:13`],
      ['image-alt', `${file}:19`],
      ['link-scheme', `${file}:8`],
      ['url-malformed', `${file}:17`],
    ]);
    expect(report.errors[1].message).toMatch(/^image 'img\/missing\.png' does not exist: there is no .*img\/missing\.png next to the issue and no .*public\/img\/missing\.png under public\//);
    expect(report.errors[4].message).toContain("'https://example.com/a file.html' contains a space: encode it as %20");
    for (const finding of report.errors) expect(finding.message).not.toMatch(ZOD_PHRASING);
  });

  it('missing and malformed fields: named in plain words, "line —" when the file does not have them', async () => {
    const report = await check('missing-fields.yaml');
    const file = path.join(FIXTURES, 'missing-fields.yaml');
    expect(report.errors.map((f) => `${f.where}: ${f.message}`)).toEqual([
      `${file}:2: slug may hold lowercase letters, digits and dashes only (ml-utd-32)`,
      `${file}:3: sections should be a list (lines starting with "- "), but it is text`,
      `${file} (subject, line —): subject is missing: the inbox shows it`,
      `${file} (title, line —): title is missing: the top of the message shows it`,
      `${file} (postal_address, line —): postal_address is missing: bulk mail must carry your postal address (add it to the file or set it on the list: \`tidings list set <slug> --postal-address "…"\`)`,
    ]);
    for (const finding of report.errors) expect(finding.message).not.toMatch(ZOD_PHRASING);
  });

  it('a Markdown issue: unknown front matter field, a missing local image, an image under ASSET_BASE_URL the server would 404, a URL with a space (malformed, not a wrong scheme), a bad scheme', async () => {
    const report = await check('many-problems.md');
    const file = path.join(FIXTURES, 'many-problems.md');
    expect(report.errors.map((f) => [f.rule, f.where])).toEqual([
      ['unknown-field', `${file}:2`],
      ['image-missing', `${file}:11`],
      ['image-missing', `${file}:15`],
      ['image-alt', `${file}:11`],
      ['url-malformed', `${file}:9`],
      ['link-scheme', `${file}:9`],
    ]);
    expect(report.errors[0].message).toMatch(/^unknown front matter field 'subjcet' — did you mean 'subject'\?/);
    expect(report.errors[2].message).toMatch(/^image 'https:\/\/assets\.tidings\.test\/img\/gone\.png' would not load: the server answers 404 for it/);
    expect(report.errors[4].message).toContain("the link 'a broken link' → 'https://example.com/a b' contains a space, so it is not a link");
  });

  it('an image under PUBLIC_URL/media/ that the media store does not hold is a 404 error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tidings-md-'));
    const file = path.join(dir, 'issue.md');
    await (await import('node:fs/promises')).writeFile(file, `---\npostal_address: 1 Road\ndefault_name: Reader\n---\n# T\n\n![A chart](${PUBLIC_URL}/media/0123456789abcdef0123456789abcdef.png)\n`);
    const media = new LocalMediaStore({ dir: path.join(dir, 'media'), baseUrl: `${PUBLIC_URL}/media/`, maxBytes: 1e7, maxWidth: 1200 });
    const report = await preflightFile(file, { assetBaseUrl: ASSETS, publicUrl: PUBLIC_URL, media });
    expect(report.errors.map((f) => [f.rule, f.where])).toEqual([['image-missing', `${file}:7`]]);
  });

  it('the CLI prints them all and exits 1', async () => {
    const run = promisify(execFile);
    const bin = path.resolve(__dirname, '../bin/tidings.mjs');
    const result = await run(process.execPath, [bin, 'issue', 'check', path.join(FIXTURES, 'many-problems.md')], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', SECRET_KEY: 'x'.repeat(32), ASSET_BASE_URL: ASSETS, PUBLIC_URL },
    }).catch((err: { code: number; stdout: string }) => err);
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stdout).toMatch(/^error: .*many-problems\.md:2: unknown front matter field 'subjcet'/m);
    expect(result.stdout).toMatch(/^error: .*many-problems\.md:9: .*contains a space.* \[url-malformed\]$/m);
    expect(result.stdout).toMatch(/not sendable: .*6 error\(s\)/);
  }, 60_000);
});
