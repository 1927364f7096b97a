import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { dropDatabase, withDefaultUser } from '../src/db/pool';
import { isolatedEnv, removeQueueKeys } from './helpers';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../bin/tidings.mjs');

/** Runs the real `tidings` command in a child process. */
async function tidings(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const MIGRATIONS = readdirSync(path.resolve(__dirname, '../migrations')).filter((f) => f.endsWith('.sql')).sort();
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

// Each test starts several `tidings` processes one after another: on a loaded CI machine that takes minutes, not seconds.
describe('the tidings command', { timeout: 240_000 }, () => {
  const env = isolatedEnv();
  let db: pg.Client;

  beforeAll(async () => {
    const first = await tidings(['migrate', '--json'], env);
    expect(first.code).toBe(0);
    expect(lastJson(first.stdout)).toEqual({ databaseCreated: true, applied: MIGRATIONS });
    db = new pg.Client({ connectionString: withDefaultUser(env.DATABASE_URL) });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await removeQueueKeys(env.QUEUE_PREFIX);
    await dropDatabase(env.DATABASE_URL);
  });

  it('lists every command in --help', async () => {
    const { code, stdout } = await tidings(['--help'], env);
    expect(code).toBe(0);
    for (const command of ['migrate', 'serve', 'worker', 'demo', 'list', 'import', 'issue', 'send', 'status']) expect(stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    const send = await tidings(['send', '--help'], env);
    expect(send.stdout).toContain('--list <slug>');
  });

  it('runs migrate a second time as a no-op', async () => {
    const second = await tidings(['migrate', '--json'], env);
    expect(second.code).toBe(0);
    expect(lastJson(second.stdout)).toEqual({ databaseCreated: false, applied: [] });
    const { rows } = await db.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(MIGRATIONS.length);
  });

  it('runs two migrates at once safely', async () => {
    const fresh = isolatedEnv();
    try {
      const [a, b] = await Promise.all([tidings(['migrate', '--json'], fresh), tidings(['migrate', '--json'], fresh)]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect([lastJson(a.stdout).applied, lastJson(b.stdout).applied].flat().sort()).toEqual(MIGRATIONS);
    } finally {
      await dropDatabase(fresh.DATABASE_URL);
    }
  });

  it('creates a list, imports a CSV, creates an issue, and prints ids with --json', async () => {
    const list = await tidings(['list', 'create', 'cli', '--name', 'CLI list', '--json'], env);
    expect(list.code).toBe(0);
    expect(lastJson(list.stdout)).toMatchObject({ id: expect.any(Number), slug: 'cli', name: 'CLI list' });

    const csvFile = path.resolve(__dirname, 'fixtures/subscribers.csv');
    const imported = await tidings(['import', 'cli', csvFile, '--json'], env);
    expect(imported.code).toBe(0);
    const report = lastJson(imported.stdout);
    expect(report).toMatchObject({ id: expect.any(Number), imported: 3 });
    expect(report.rejected).toEqual([
      { line: 3, reason: "invalid email address 'broken@': nothing after the @" },
      { line: 5, reason: 'duplicate of line 2 (ada@example.com)' },
      { line: 6, reason: "invalid email address '王小明 <x@y>': it contains a space or an invisible character" },
    ]);

    const issue = await tidings(['issue', 'create', path.resolve(__dirname, '../content/ml-utd-32.yaml'), '--json'], env);
    expect(issue.code).toBe(0);
    expect(lastJson(issue.stdout)).toMatchObject({ id: expect.any(Number), slug: 'ml-utd-32', created: true });
    const again = await tidings(['issue', 'create', path.resolve(__dirname, '../content/ml-utd-32.yaml'), '--json'], env);
    expect(lastJson(again.stdout)).toMatchObject({ id: lastJson(issue.stdout).id, created: false, updated: false });
  });

  it('fails clearly on an unknown issue or list, and creates nothing', async () => {
    const noIssue = await tidings(['send', 'no-such-issue', '--list', 'cli', '--json'], env);
    expect(noIssue.code).toBe(1);
    expect(noIssue.stderr).toContain("error: issue 'no-such-issue' does not exist");
    expect(lastJson(noIssue.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: "issue 'no-such-issue' does not exist" } });
    const noList = await tidings(['send', 'ml-utd-32', '--list', 'no-such-list'], env);
    expect(noList.code).toBe(1);
    expect(noList.stderr).toContain("error: list 'no-such-list' does not exist");
    const { rows } = await db.query('SELECT (SELECT count(*) FROM sends)::int AS sends, (SELECT count(*) FROM deliveries)::int AS deliveries');
    expect(rows[0]).toEqual({ sends: 0, deliveries: 0 });
  });

  it('creates a send and reports its status', async () => {
    const send = await tidings(['send', 'ml-utd-32', '--list', 'cli', '--json'], env);
    expect(send.code).toBe(0);
    const { id } = lastJson(send.stdout);
    const status = await tidings(['status', String(id), '--json'], env);
    expect(status.code).toBe(0);
    // No worker runs in this test: the send waits in the queue with its fan-out job.
    expect(lastJson(status.stdout)).toMatchObject({ id, state: 'queued', total: 0, sent: 0 });
    const missing = await tidings(['status', '999999'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("send '999999' does not exist");
  });

  it('stops with a message naming a missing or malformed variable', async () => {
    const production = await tidings(['migrate'], { ...env, NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:2525', SECRET_KEY: '' });
    expect(production.code).toBe(2);
    expect(production.stderr).toContain('SECRET_KEY: is required when NODE_ENV=production');
    const badUrl = await tidings(['migrate'], { ...env, DATABASE_URL: 'mysql://localhost/x' });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/^error: DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//m);
    const badPort = await tidings(['migrate'], { ...env, PORT: 'eighty' });
    expect(badPort.stderr).toMatch(/error: PORT: /);
  });
});
