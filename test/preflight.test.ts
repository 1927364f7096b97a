import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { createIssueFromFile } from '../src/issues/create-issue';
import { preflight, type PreflightReport, type PreflightRule } from '../src/render/preflight';
import { preflightFile } from '../src/render/preflight-file';
import { marker } from '../src/render/slots';
import { startSend } from '../src/send/start-send';
import { startStack, type TestStack } from './helpers';

const FIXTURES = path.resolve(__dirname, 'fixtures/preflight');
const TEMPLATES = path.join(FIXTURES, 'templates');
const SAMPLE = path.resolve(__dirname, '../content/ml-utd-32.yaml');
const options = { assetBaseUrl: 'https://assets.example.com/' };

const check = (name: string, templatesDir?: string) => preflightFile(path.join(FIXTURES, `${name}.yaml`), { ...options, templatesDir });
const rules = (report: PreflightReport) => [...report.errors, ...report.warnings].map((f) => `${f.severity}:${f.rule}`);

describe('preflight on content files', () => {
  it('passes the sample issue and the base fixture with no findings', async () => {
    for (const file of [SAMPLE, path.join(FIXTURES, 'base.yaml')]) {
      const report = await preflightFile(file, options);
      expect(rules(report), file).toEqual([]);
      expect(report.htmlBytes).toBeGreaterThan(10_000);
    }
    // The sample stays well inside Gmail's clipping limit.
    expect((await preflightFile(SAMPLE, options)).htmlBytes).toBeLessThan(90 * 1024);
  });

  // One failing fixture per rule: the rule, its severity, and where the message points.
  const cases: { fixture: string; rule: PreflightRule; severity: 'error' | 'warning'; where: RegExp; message: RegExp; templates?: boolean }[] = [
    { fixture: 'html-size-warning', rule: 'html-size', severity: 'warning', where: /^html$/, message: /above Gmail's 102 KB clipping limit/ },
    { fixture: 'html-size-error', rule: 'html-size', severity: 'error', where: /^html$/, message: /far above Gmail's 102 KB clipping limit/ },
    { fixture: 'image-alt', rule: 'image-alt', severity: 'error', where: /image-alt\.yaml:14$/, message: /has no alt text.*Add alt:/ },
    { fixture: 'link-empty', rule: 'link-empty', severity: 'error', where: /link-empty\.yaml:\d+$/, message: /field 'intro': the link '点这里' has no target/ },
    { fixture: 'link-scheme', rule: 'link-scheme', severity: 'error', where: /link-scheme\.yaml:16$/, message: /'ftp:\/\/example\.com\/first' is not an http\(s\)/ },
    { fixture: 'url-malformed', rule: 'url-malformed', severity: 'error', where: /url-malformed\.yaml:19$/, message: /invalid host 'github'/ },
    { fixture: 'url-duplicate', rule: 'url-duplicate', severity: 'warning', where: /url-duplicate\.yaml:23$/, message: /linked from two articles \('第一篇' and '第二篇'\)/ },
    { fixture: 'unsubscribe-missing', rule: 'unsubscribe-missing', severity: 'error', where: /footer/, message: /no unsubscribe link/, templates: true },
    { fixture: 'postal-address-missing', rule: 'postal-address-missing', severity: 'error', where: /footer/, message: /not in the rendered footer/, templates: true },
    { fixture: 'postal-address-blank', rule: 'postal-address-missing', severity: 'error', where: /postal-address-blank\.yaml:24$/, message: /postal_address is empty/ },
    { fixture: 'subject-empty', rule: 'subject-empty', severity: 'error', where: /subject-empty\.yaml:3$/, message: /^subject is empty: the inbox shows it$/ },
    { fixture: 'subject-too-long', rule: 'subject-too-long', severity: 'error', where: /subject-too-long\.yaml:3$/, message: /longer than 150 characters: inboxes cut it off/ },
    { fixture: 'subject-control-characters', rule: 'subject-control-characters', severity: 'error', where: /subject-control-characters\.yaml:3$/, message: /control characters/ },
    { fixture: 'template-variable', rule: 'template-variable', severity: 'error', where: /uses-sponsor\/layout\.mjml\.hbs:4$/, message: /"sponsor" not defined/, templates: true },
    { fixture: 'mjml-invalid', rule: 'mjml', severity: 'error', where: /bad-mjml\/layout\.mjml\.hbs/, message: /MJML error at line 4/, templates: true },
  ];
  for (const c of cases) {
    it(`${c.fixture}.yaml: ${c.severity} ${c.rule}`, async () => {
      const report = await check(c.fixture, c.templates ? TEMPLATES : undefined);
      expect(rules(report)).toEqual([`${c.severity}:${c.rule}`]);
      const [finding] = [...report.errors, ...report.warnings];
      expect(finding.where).toMatch(c.where);
      expect(finding.message).toMatch(c.message);
    });
  }
});

describe('preflight on a compiled issue', () => {
  const html = (body: string) =>
    `<html><body>${body}<p><a href="${marker('webVersionUrl')}">View</a> <a href="${marker('unsubscribeUrl')}">Unsubscribe</a></p><p>1 Example Road</p><img src="${marker('openPixelUrl')}" alt></body></html>`;
  const base = { subject: 'Weekly', preheader: '', text: `Unsubscribe [${marker('unsubscribeUrl')}]` };

  it('checks links and images the template wrote itself', () => {
    const report = preflight({
      ...base,
      html: html('<a href="javascript:alert(1)">x</a><a>no target</a><a href="#">top</a><a href="https://exa mple.com/">sp</a><img src="https://cdn.example.com/a.png"><img src="data:image/png;base64,AAAA" alt="d">'),
    });
    expect(report.errors.map((f) => f.rule)).toEqual(['image-alt', 'link-scheme', 'link-scheme', 'link-empty', 'link-empty', 'url-malformed']);
    expect(report.errors[1].message).toContain("'data:image/png;base64,AAAA' is not http/https");
    expect(report.errors[2].message).toContain("the link 'x' → 'javascript:alert(1)' is not http/https/mailto");
  });

  it('checks the subject of a stored issue', () => {
    const subjectRules = (subject: string) => preflight({ ...base, subject, html: html('') }).errors.map((f) => f.rule);
    expect(subjectRules('')).toEqual(['subject-empty']);
    expect(subjectRules('长'.repeat(151))).toEqual(['subject-too-long']);
    expect(subjectRules('长'.repeat(150))).toEqual([]);
    expect(subjectRules('Weekly\u0007 news')).toEqual(['subject-control-characters']);
    expect(preflight({ ...base, subject: 'a\r\nBcc: x@example.com', html: html('') }).errors[0].message).toContain('U+000D at position 2');
  });

  it('wants the unsubscribe link in both parts', () => {
    expect(preflight({ ...base, text: 'no link here', html: html('') }).errors.map((f) => f.rule)).toEqual(['unsubscribe-missing']);
  });
});

describe('preflight before a send', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: { ASSET_BASE_URL: options.assetBaseUrl } });
    await createList(stack.services.pool, { slug: 'weekly', name: 'ML UTD 周刊' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses to start a send of an issue that fails preflight, and creates nothing', async () => {
    const { pool } = stack.services;
    // The issue renders (so `issue create` stores it), but its image has no alt text.
    const { issue } = await createIssueFromFile(pool, path.join(FIXTURES, 'image-alt.yaml'), options);
    const refused = startSend(stack.services, issue.slug, 'weekly');
    await expect(refused).rejects.toMatchObject({ code: 'PREFLIGHT_FAILED' });
    await expect(refused).rejects.toThrow(/issue 'preflight-base' failed preflight, nothing was sent:\n {2}error: issue preflight-base:14: image .* has no alt text/);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM sends');
    expect(rows[0].n).toBe(0);
  });

  it('starts a send of an issue that passes', async () => {
    const { issue } = await createIssueFromFile(stack.services.pool, SAMPLE, options);
    const { send } = await startSend(stack.services, issue.slug, 'weekly');
    expect(send.issueId).toBe(issue.id);
  });
});

describe('tidings issue check', () => {
  const run = promisify(execFile);
  const BIN = path.resolve(__dirname, '../bin/tidings.mjs');
  // A public PUBLIC_URL: with the default (localhost) every check also warns that readers cannot reach it.
  const tidings = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent', SECRET_KEY: 'x'.repeat(32), PUBLIC_URL: 'https://news.example.com' } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      return err as { code: number; stdout: string; stderr: string };
    }
  };

  it('prints each finding with its place and exits 1 when the issue could not be sent', async () => {
    const bad = await tidings(['issue', 'check', path.join(FIXTURES, 'link-scheme.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^error: .*link-scheme\.yaml:16: .*'ftp:\/\/example\.com\/first'.* \[link-scheme\]$/m);
    expect(bad.stdout).toMatch(/not sendable: .*1 error\(s\), 0 warning\(s\)/);

    const good = await tidings(['issue', 'check', SAMPLE, '--json']);
    expect(good.code).toBe(0);
    const result = JSON.parse(good.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ id: SAMPLE, ok: true, errors: [], warnings: [] });
  });
});
