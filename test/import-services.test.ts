import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { importCsv } from '../src/imports/csv-import';
import { startStack, type TestStack } from './helpers';
import { ADMIN_TOKEN, startOpsServer } from './ops-seed';

/**
 * Issue 14, "Imports from the services people leave", on a real database, through importCsv, the CLI and the
 * API: statuses kept and never upgraded, suppressions for who bounced, complained or was blocklisted,
 * deletion requests kept as a suppression only, opt-in time as the confirmation time, counts per status.
 */
const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../bin/tidings.mjs');
const FIXTURES = path.resolve(__dirname, 'fixtures/imports');
const fixture = (name: string) => path.join(FIXTURES, name);

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

async function subscription(listId: number, email: string) {
  const { rows } = await stack.services.pool.query(
    `SELECT s.email, s.name, s.status AS "subscriber", s.attributes, sub.status, sub.created_at AS "createdAt", sub.confirmed_at AS "confirmedAt", sub.unsubscribed_at AS "unsubscribedAt"
     FROM subscribers s LEFT JOIN subscriptions sub ON sub.subscriber_id = s.id AND sub.list_id = $1 WHERE lower(s.email) = lower($2)`,
    [listId, email],
  );
  return rows[0];
}
async function suppression(email: string) {
  const { rows } = await stack.services.pool.query('SELECT reason, source, details FROM suppressions WHERE lower(email) = lower($1)', [email]);
  return rows[0];
}
const importFile = (listId: number, name: string, options: Partial<Parameters<typeof importCsv>[3]> = {}) =>
  importCsv(stack.services.pool, listId, createReadStream(fixture(name)), { status: 'confirmed', fileName: name, ...options });

describe('a Mailchimp audience export (its three files)', () => {
  it('keeps who left and who bounced, never re-subscribes anyone, and counts rows per resulting status', async () => {
    const { pool } = stack.services;
    const list = await createList(pool, { slug: 'from-mailchimp', name: 'From Mailchimp' });
    // Already here before the import: Ada had unsubscribed from this list in Tidings; Linus is subscribed.
    await pool.query(`INSERT INTO subscribers (email, name) VALUES ('ada@example.com', 'Ada'), ('linus@example.net', 'Linus')`);
    await pool.query(
      `INSERT INTO subscriptions (list_id, subscriber_id, status, unsubscribed_at)
       SELECT $1, id, CASE WHEN email = 'ada@example.com' THEN 'unsubscribed' ELSE 'confirmed' END, CASE WHEN email = 'ada@example.com' THEN now() END FROM subscribers`,
      [list.id],
    );

    const subscribed = await importFile(list.id, 'subscribed_members_export_4f1c2a9b.csv');
    expect(subscribed).toMatchObject({ source: 'mailchimp', detected: true, encoding: 'utf-8', delimiter: ',', rowsRead: 3, rejected: [] });
    expect(subscribed.statuses).toEqual({ confirmed: 2, unconfirmed: 0, unsubscribed: 1, suppressed: 0, disabled: 0 });
    expect(await subscription(list.id, 'ada@example.com')).toMatchObject({ status: 'unsubscribed', name: 'Ada Lovelace', attributes: { tags: ['VIP', 'Early reader'], company: 'Analytical Engines Ltd' } });
    expect(await subscription(list.id, 'grace@example.org')).toMatchObject({
      status: 'confirmed',
      name: 'Grace Hopper',
      createdAt: new Date('2022-07-01T08:00:00Z'),
      confirmedAt: new Date('2022-07-01T08:00:00Z'),
    });
    expect(await subscription(list.id, '王小明@例子.广告')).toMatchObject({ status: 'confirmed', confirmedAt: new Date('2023-11-11T11:12:00Z') });

    const unsubscribed = await importFile(list.id, 'unsubscribed_members_export_4f1c2a9b.csv');
    expect(unsubscribed.statuses).toMatchObject({ unsubscribed: 2 });
    // Linus was subscribed here; the export says he left on 1 February 2023: he is unsubscribed, with that time.
    expect(await subscription(list.id, 'linus@example.net')).toMatchObject({ status: 'unsubscribed', unsubscribedAt: new Date('2023-02-01T12:00:00Z') });
    expect(await subscription(list.id, 'marie@example.fr')).toMatchObject({ status: 'unsubscribed', unsubscribedAt: new Date('2024-06-30T18:45:10Z') });

    const cleaned = await importFile(list.id, 'cleaned_members_export_4f1c2a9b.csv');
    expect(cleaned.statuses).toMatchObject({ suppressed: 1 });
    expect(await suppression('gone@example.com')).toEqual({ reason: 'hard_bounce', source: 'import', details: { imported_from: 'mailchimp', status: 'cleaned', line: 2 } });
    expect(await subscription(list.id, 'gone@example.com')).toMatchObject({ subscriber: 'blocked' });

    // The subscribed file again (say, an older download): still nobody who left comes back.
    const again = await importFile(list.id, 'subscribed_members_export_4f1c2a9b.csv');
    expect(again.statuses).toMatchObject({ confirmed: 2, unsubscribed: 1 });
    expect(await subscription(list.id, 'ada@example.com')).toMatchObject({ status: 'unsubscribed' });
  });
});

describe('the other services', () => {
  it('listmonk: blocklisted is suppressed, disabled is not mailable, attributes from JSON', async () => {
    const list = await createList(stack.services.pool, { slug: 'from-listmonk', name: 'From listmonk' });
    const report = await importFile(list.id, 'listmonk-subscribers.csv');
    expect(report.statuses).toEqual({ confirmed: 1, unconfirmed: 0, unsubscribed: 0, suppressed: 1, disabled: 1 });
    expect(await subscription(list.id, 'john@example.com')).toMatchObject({ status: 'confirmed', subscriber: 'active', attributes: { city: 'Bengaluru', projects: 3 } });
    expect(await suppression('anon@example.com')).toMatchObject({ reason: 'manual', details: { imported_from: 'listmonk', status: 'blocklisted' } });
    expect(await subscription(list.id, 'anon@example.com')).toMatchObject({ status: 'unsubscribed', subscriber: 'blocked' });
    expect(await subscription(list.id, 'quiet@example.com')).toMatchObject({ subscriber: 'blocked' });
    expect(await suppression('quiet@example.com')).toBeUndefined();
  });

  it('Ghost: an unsubscribed member stays so; a deleted member is kept only as a suppressed address', async () => {
    const list = await createList(stack.services.pool, { slug: 'from-ghost', name: 'From Ghost' });
    const report = await importFile(list.id, 'ghost-members.csv');
    expect(report.statuses).toMatchObject({ confirmed: 1, unsubscribed: 1, suppressed: 1 });
    expect(await subscription(list.id, 'nomail@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(await subscription(list.id, 'forget-me@example.com')).toBeUndefined();
    expect(await suppression('forget-me@example.com')).toMatchObject({ reason: 'manual' });
  });

  it('Substack, Kit, Buttondown and beehiiv: each status where it belongs', async () => {
    const { pool } = stack.services;
    const expected: Record<string, Record<string, number>> = {
      'substack-email-list.csv': { confirmed: 2, unsubscribed: 1 },
      'kit-subscribers.csv': { confirmed: 1, unconfirmed: 1, unsubscribed: 1, suppressed: 2 },
      'buttondown-subscribers.csv': { confirmed: 1, unconfirmed: 1, unsubscribed: 1, suppressed: 1 },
      'beehiiv-subscribers.csv': { confirmed: 1, unconfirmed: 1, unsubscribed: 1, suppressed: 1 },
    };
    for (const [file, counts] of Object.entries(expected)) {
      const list = await createList(pool, { slug: `from-${file.split('-')[0]}`, name: file });
      const report = await importFile(list.id, file);
      expect(report.rejected, file).toEqual([]);
      expect(report.statuses, file).toMatchObject(counts);
    }
    expect(await suppression('eve@convertkit.dev')).toMatchObject({ reason: 'complaint' });
    expect(await suppression('dan@convertkit.dev')).toMatchObject({ reason: 'hard_bounce' });
    expect((await pool.query(`SELECT sub.status FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id WHERE s.email = 'left@example.com'`)).rows).toEqual([
      { status: 'unsubscribed' },
    ]);
  });

  it('a dry run counts what would happen and writes nothing', async () => {
    const { pool } = stack.services;
    const list = await createList(pool, { slug: 'dry', name: 'Dry' });
    const before = (await pool.query('SELECT (SELECT count(*) FROM subscribers)::int AS s, (SELECT count(*) FROM suppressions)::int AS x')).rows[0];
    const report = await importCsv(pool, list.id, createReadStream(fixture('kit-subscribers.csv')), { status: 'confirmed', dryRun: true, fileName: 'kit.csv' });
    expect(report).toMatchObject({ dryRun: true, source: 'kit', imported: 5, statuses: { confirmed: 1, unconfirmed: 1, unsubscribed: 1, suppressed: 2, disabled: 0 } });
    expect((await pool.query('SELECT (SELECT count(*) FROM subscribers)::int AS s, (SELECT count(*) FROM suppressions)::int AS x')).rows[0]).toEqual(before);
  });
});

describe('tidings import and the API import endpoint', () => {
  it('the CLI says which shape it took, --dry-run writes nothing, and a file whose every row is refused exits non-zero', async () => {
    const { pool } = stack.services;
    await createList(pool, { slug: 'cli-kit', name: 'CLI Kit' });
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...stack.env };
    const imported = await run(process.execPath, [BIN, 'import', 'cli-kit', fixture('kit-subscribers.csv')], { env });
    expect(imported.stdout).toContain('Read as a Kit (ConvertKit) subscribers export (recognised from the header), UTF-8, comma-separated');
    expect(imported.stdout).toMatch(/imported 5 rows into cli-kit \(5 newly subscribed; 1 confirmed, 1 unconfirmed, 1 unsubscribed, 2 suppressed\), rejected 0/);

    const dir = mkdtempSync(path.join(tmpdir(), 'tidings-import-cli-'));
    const mixed = path.join(dir, 'people.csv');
    writeFileSync(mixed, 'email;name;status\nnew1@example.com;One;confirmed\nnot-an-address;Two;confirmed\nnew3@example.com;Three;unsubscribed\nnew4@example.com;Four;whatever\n');
    const dry = await run(process.execPath, [BIN, 'import', 'cli-kit', mixed, '--dry-run'], { env });
    expect(dry.stdout.split('\n')).toEqual([
      'Read as a CSV (recognised from the header), UTF-8, semicolon-separated',
      "line 3: invalid email address 'not-an-address': it has no @",
      expect.stringMatching(/^line 5: unknown status 'whatever' \(known: /),
      'dry run, nothing written: 2 of 4 rows would be imported into cli-kit (1 confirmed, 1 unsubscribed), 2 rejected; existing subscriptions keep their status unless a row unsubscribes them',
      '',
    ]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM subscribers WHERE email IN ('new1@example.com', 'new3@example.com')`)).rows[0].n).toBe(0);
    expect((await pool.query(`SELECT count(*)::int AS n FROM import_jobs WHERE source = 'people.csv'`)).rows[0].n).toBe(0);

    const allBad = path.join(dir, 'bad.csv');
    writeFileSync(allBad, 'email,name\nnope,A\n"broken@example.com,B\n');
    const failed = await run(process.execPath, [BIN, 'import', 'cli-kit', allBad, '--json'], { env }).catch((err) => err as { code: number; stdout: string; stderr: string });
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('every row of bad.csv was rejected');
    expect(JSON.parse((failed as { stdout: string }).stdout.trim().split('\n').at(-1)!)).toMatchObject({ imported: 0, rejectedCount: 2 });
  }, 240_000);

  it('the API reads the same shapes with the same rules (and checks an upload without writing)', async () => {
    const server = await startOpsServer(stack.env);
    try {
      await createList(stack.services.pool, { slug: 'api-mailchimp', name: 'API Mailchimp' });
      const post = async (url: string, file: string) => {
        const res = await fetch(server.url(url), { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' }, body: readFileSync(fixture(file)) });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const checked = await post('/api/lists/api-mailchimp/imports/dry-run?fileName=unsubscribed_members_export_4f1c2a9b.csv', 'unsubscribed_members_export_4f1c2a9b.csv');
      expect(checked).toMatchObject({ status: 200, body: { shape: 'mailchimp', detected: true, wouldImport: 2, statuses: { unsubscribed: 2 } } });
      const imported = await post('/api/lists/api-mailchimp/imports?fileName=cleaned_members_export_4f1c2a9b.csv', 'cleaned_members_export_4f1c2a9b.csv');
      expect(imported).toMatchObject({ status: 201, body: { imported: 1, reading: { shape: 'mailchimp', statuses: { suppressed: 1 } } } });
      const forced = await post('/api/lists/api-mailchimp/imports?from=listmonk', 'kit-subscribers.csv');
      expect(forced).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('this is not a listmonk subscribers export') } } });

      // A subscriber disabled at the source (listmonk's quiet@) is turned back on by an operator; a suppressed one
      // (anon@, blocklisted) only through the suppression list.
      const patch = async (email: string, status: string) => {
        const id = (await stack.services.pool.query<{ id: number }>('SELECT id FROM subscribers WHERE email = $1', [email])).rows[0].id;
        const res = await fetch(server.url(`/api/subscribers/${id}`), {
          method: 'PATCH',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect(await patch('quiet@example.com', 'active')).toMatchObject({ status: 200, body: { status: 'active' } });
      expect(await patch('anon@example.com', 'active')).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('anon@example.com is on the suppression list') } } });
    } finally {
      await server.close();
    }
  });
});
