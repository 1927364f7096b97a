import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField } from '../src/imports/export';
import { BAD_ADDRESSES, GOOD_ADDRESSES } from './fixtures/email-addresses';
import { removeQueueKeys, startStack, waitFor, type TestStack } from './helpers';
import { ADMIN_TOKEN, startOpsServer } from './ops-seed';

/**
 * Issue 10.2: one validator. The same good and bad addresses go through the public subscribe form, the API
 * (subscribers and the CSV import endpoint), and the CLI (`tidings import`, `tidings suppressions add`), on a
 * real HTTP server and a real database; each entry point accepts the same ones and stores the same form.
 */
const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../bin/tidings.mjs');
const STORED = GOOD_ADDRESSES.map((a) => a.stored).sort();
// The CSV every import path reads: line 1 the header, then the good addresses, then the bad ones.
const CSV = ['email,name', ...[...GOOD_ADDRESSES.map((a) => a.input), ...BAD_ADDRESSES].map((email) => `${csvField(email)},x`)].join('\n') + '\n';
const BAD_LINES = BAD_ADDRESSES.map((_, i) => GOOD_ADDRESSES.length + 2 + i);

let stack: TestStack;
let server: Awaited<ReturnType<typeof startOpsServer>>;
beforeAll(async () => {
  stack = await startStack();
  server = await startOpsServer(stack.env);
  for (const slug of ['form', 'api', 'api-import', 'cli-import']) {
    await stack.services.pool.query(`INSERT INTO lists (slug, name) VALUES ($1, $1)`, [slug]);
  }
}, 60_000);
afterAll(async () => {
  await server?.close();
  await stack?.close();
});

const listEmails = async (slug: string) =>
  (
    await stack.services.pool.query<{ email: string }>(
      'SELECT s.email FROM subscribers s JOIN subscriptions sub ON sub.subscriber_id = s.id JOIN lists l ON l.id = sub.list_id WHERE l.slug = $1',
      [slug],
    )
  ).rows
    .map((r) => r.email)
    .sort();

async function post(pathname: string, body: string, contentType: string, auth = false): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(server.url(pathname), {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json', ...(auth ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('one email address validator at every entry point', () => {
  it('the public subscribe form', async () => {
    const statuses: Array<[string, number]> = [];
    for (const [i, email] of [...GOOD_ADDRESSES.map((a) => a.input), ...BAD_ADDRESSES].entries()) {
      // The form allows 20 requests a minute per client: start each batch with a fresh allowance.
      if (i % 15 === 0) await removeQueueKeys(`${stack.config.queuePrefix}:rl`);
      const res = await post('/subscribe', JSON.stringify({ email, name: 'x', list: 'form' }), 'application/json');
      statuses.push([email, res.status]);
    }
    expect(statuses).toEqual([...GOOD_ADDRESSES.map((a): [string, number] => [a.input, 202]), ...BAD_ADDRESSES.map((a): [string, number] => [a, 400])]);
    expect(await waitFor(async () => ((await listEmails('form')).length === STORED.length ? listEmails('form') : undefined))).toEqual(STORED);
  });

  it('the API: POST /api/subscribers', async () => {
    const results: Array<[string, number]> = [];
    for (const email of [...GOOD_ADDRESSES.map((a) => a.input), ...BAD_ADDRESSES]) {
      const res = await post('/api/subscribers', JSON.stringify({ email, lists: [{ slug: 'api' }] }), 'application/json', true);
      results.push([email, res.status]);
      if (res.status === 400) expect(JSON.stringify(res.body)).toMatch(/missing email address|invalid email address/);
    }
    expect(results).toEqual([...GOOD_ADDRESSES.map((a): [string, number] => [a.input, 201]), ...BAD_ADDRESSES.map((a): [string, number] => [a, 400])]);
    expect(await listEmails('api')).toEqual(STORED);
  });

  it('the API: the CSV import endpoint', async () => {
    const res = await post('/api/lists/api-import/imports', CSV, 'text/csv', true);
    expect(res.status).toBe(201);
    expect((res.body.firstRejected as Array<{ line: number }>).map((r) => r.line)).toEqual(BAD_LINES);
    expect(await listEmails('api-import')).toEqual(STORED);
  });

  it('the CLI: tidings import and tidings suppressions add', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tidings-addresses-'));
    const file = path.join(dir, 'addresses.csv');
    writeFileSync(file, CSV);
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...stack.env };
    const { stdout } = await run(process.execPath, [BIN, 'import', 'cli-import', file, '--json'], { env });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(report.rejected.map((r: { line: number }) => r.line)).toEqual(BAD_LINES);
    expect(await listEmails('cli-import')).toEqual(STORED);

    const added = await run(process.execPath, [BIN, 'suppressions', 'add', 'Ömil@XN--BCHER-KVA.DE', '--json'], { env });
    expect(JSON.parse(added.stdout.trim().split('\n').at(-1)!)).toEqual({ id: 'Ömil@bücher.de', added: true });
    const refused = await run(process.execPath, [BIN, 'suppressions', 'add', 'ada@example', '--json'], { env }).catch((err) => err as { code: number; stderr: string });
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining("invalid email address 'ada@example'") });
  }, 240_000);
});
