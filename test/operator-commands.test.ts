import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import { createMailer } from '../src/app/runtime';
import { startSend } from '../src/send/control';
import { testSend } from '../src/send/test-send';
import { createIssueFromFile } from '../src/issues/create-issue';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { parse, rawHeaders, startStack, type TestStack } from './helpers';

// Issue 11.10 ([TEST] subject, footer naming the list, preview of a file for a list without storing),
// 11.11 (list ls, issue ls, GET /api/issues) and 11.12 (a list's own From in headers, List-Id, Feedback-ID).
const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../bin/tidings.mjs');
const ADMIN_TOKEN = 'operator-admin-token-0123456789';
let stack: TestStack;
let issueId: number;

beforeAll(async () => {
  stack = await startStack({ http: true, workers: true, env: { ADMIN_TOKEN } });
  issueId = (await createIssueFromFile(stack.services.pool, SAMPLE_ISSUE, { assetBaseUrl: stack.config.assetBaseUrl })).issue.id;
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

async function tidings(args: string[]): Promise<{ stdout: string; last: Record<string, unknown> }> {
  const { stdout } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: tmpdir(), ...stack.env } });
  const lastLine = stdout.trim().split('\n').pop()!;
  return { stdout, last: args.includes('--json') ? JSON.parse(lastLine) : {} };
}

describe('a list of its own sender', () => {
  it('uses the list\'s From name and address in From, the envelope, Message-ID, List-Id and Feedback-ID', async () => {
    const { pool } = stack.services;
    const list = await createList(pool, { slug: 'own-from', name: 'Own From', fromName: 'ML UTD 周刊', fromAddress: 'weekly@mlutd.example' });
    await upsertSubscribers(pool, list.id, [{ email: 'r1@example.com', name: 'R1', attributes: {} }], 'confirmed');
    const { send } = await startSend(stack.services, issueId, 'own-from');
    await waitForSend(stack.services, send.id, { bar: false });
    const message = stack.smtp.messages.find((m) => m.raw.includes(`Feedback-ID: ${send.id}:`))!;
    expect(message.from).toBe('weekly@mlutd.example');
    const parsed = await parse(message.raw);
    expect(parsed.from?.value[0]).toEqual({ name: 'ML UTD 周刊', address: 'weekly@mlutd.example' });
    expect(rawHeaders(message.raw, 'List-Id')[0]).toContain('<own-from.list-id.mlutd.example>');
    expect(rawHeaders(message.raw, 'Feedback-ID')[0]).toBe(`${send.id}:${list.id}:${issueId}:mlutd.example`);
    expect(rawHeaders(message.raw, 'Message-ID')[0]).toMatch(/@mlutd\.example>$/);
  });

  it('falls back to MAIL_FROM, and refuses an address that is none', async () => {
    const { pool } = stack.services;
    await expect(createList(pool, { slug: 'bad-from', name: 'Bad', fromAddress: 'not an address' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(createList(pool, { slug: 'bad-lang', name: 'Bad', language: 'xx' })).rejects.toThrow(/language 'xx' has no catalogue: use one of en, zh-CN/);
    const list = await createList(pool, { slug: 'default-from', name: 'Default From' });
    await upsertSubscribers(pool, list.id, [{ email: 'r2@example.com', name: 'R2', attributes: {} }], 'confirmed');
    const { send } = await startSend(stack.services, issueId, 'default-from');
    await waitForSend(stack.services, send.id, { bar: false });
    const message = stack.smtp.messages.find((m) => m.raw.includes(`Feedback-ID: ${send.id}:`))!;
    expect(message.from).toBe('news@lifewithdata.test');
    expect(rawHeaders(message.raw, 'List-Id')[0]).toContain('<default-from.list-id.lifewithdata.test>');
  });
});

describe('test messages and previews', () => {
  it('start the subject with [TEST] and name the list in the footer, or the issue, never the product', async () => {
    const { mailer } = await createMailer(stack.config, stack.services.log);
    try {
      const before = stack.smtp.messages.length;
      await testSend(stack.services, mailer, String(issueId), 'tester@example.com', { list: 'own-from' });
      await testSend(stack.services, mailer, String(issueId), 'tester@example.com');
      const [forList, bare] = await Promise.all(stack.smtp.messages.slice(before).map((m) => parse(m.raw)));
      expect(forList.subject).toBe('[TEST] [ML UTD 32] 最新的机器学习—数据生活');
      expect(forList.text).toContain('subscribed to Own From.');
      expect(forList.from?.value[0].address).toBe('weekly@mlutd.example');
      expect(bare.subject).toMatch(/^\[TEST\] /);
      expect(bare.text).toContain('subscribed to [ML UTD 32] 最新的机器学习—数据生活.');
      expect(bare.text).not.toContain('Tidings');
    } finally {
      await mailer.close();
    }
  });

  it('`preview <file> --list <slug>` shapes the message for the list and stores nothing', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'tidings-preview-'));
    const copy = path.join(out, 'letter.yaml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(copy, (await readFile(SAMPLE_ISSUE, 'utf8')).replace('slug: ml-utd-32', 'slug: never-stored'));
    const { rows: before } = await stack.services.pool.query('SELECT count(*)::int AS n FROM issues');
    await tidings(['preview', copy, '--list', 'own-from', '--out', out, '--chromium', '/nonexistent/chromium', '--json']);
    const { rows: after } = await stack.services.pool.query('SELECT count(*)::int AS n FROM issues');
    expect(after[0].n).toBe(before[0].n);
    const files = await readdir(out);
    const text = await readFile(path.join(out, files.find((f) => f.endsWith('.txt'))!), 'utf8');
    expect(text).toContain('subscribed to Own From.');
  }, 60_000);
});

describe('listing lists and issues', () => {
  it('`tidings list ls` and `tidings issue ls` show lists with their settings and issues with their sends', async () => {
    const created = await tidings(['list', 'create', 'cli-zh', '--name', '中文周刊', '--language', 'zh-CN', '--from', '周刊 <zh@mlutd.example>', '--json']);
    expect(created.last).toMatchObject({ slug: 'cli-zh', language: 'zh-CN', fromName: '周刊', fromAddress: 'zh@mlutd.example' });
    await tidings(['list', 'set', 'cli-zh', '--archive', 'off', '--from', '', '--json']);
    const lists = await tidings(['list', 'ls']);
    expect(lists.stdout).toMatch(/^list\s+confirmed\s+unconfirmed\s+left\s+language/m);
    expect(lists.stdout).toMatch(/^cli-zh\s+0\s+0\s+0\s+zh-CN\s+archive off\s+MAIL_FROM\s+中文周刊$/m);
    expect(lists.stdout).toMatch(/^own-from\s+1\s+0\s+0\s+en\s+-\s+ML UTD 周刊 <weekly@mlutd.example>\s+Own From$/m);

    const issues = await tidings(['issue', 'ls', '--json']);
    const sample = (issues.last.issues as Array<{ slug: string; sends: Array<{ list: string; status: string; sent: number }> }>).find((i) => i.slug === 'ml-utd-32')!;
    expect(sample.sends.map((s) => [s.list, s.status, s.sent])).toEqual([['default-from', 'finished', 1], ['own-from', 'finished', 1]]);
    const human = await tidings(['issue', 'ls']);
    expect(human.stdout).toMatch(/ml-utd-32 {2}“\[ML UTD 32\] 最新的机器学习—数据生活”/);
    expect(human.stdout).toMatch(/send \d+ → own-from: finished [\d-]+ [\d:]+, 1 of 1 sent/);
  }, 60_000);

  it('GET /api/issues lists the issues newest first with their sends, behind the admin token', async () => {
    const url = `${stack.baseUrl}/api/issues`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { issues: Array<{ id: number; slug: string; sends: Array<{ list: string }> }> };
    expect(body.issues[0]).toMatchObject({ id: issueId, slug: 'ml-utd-32' });
    expect(body.issues[0].sends.map((s) => s.list)).toEqual(['default-from', 'own-from']);
  });
});
