import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { importCsv } from '../src/imports/csv-import';
import { startStack, type TestStack } from './helpers';

const csv = (text: string) => Readable.from([Buffer.from(text)]);

describe('CSV import', () => {
  let stack: TestStack;
  let listId: number;

  beforeAll(async () => {
    stack = await startStack();
    listId = (await createList(stack.services.pool, { slug: 'imports', name: 'Imports' })).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('reports bad rows with their line numbers while the valid rows land', async () => {
    const file = [
      'email,name,city', //                         line 1
      'ada@example.com,Ada Lovelace,London', //     line 2
      'not-an-address,Broken,Nowhere', //           line 3
      'grace@example.com,Grace Hopper', //          line 4: missing column
      'ADA@Example.com,Ada again,Paris', //         line 5: duplicate of line 2
      '"王小明+news@example.com","王小明",北京', //  line 6
      ',No Address,Oslo', //                        line 7
      'zoe@example.org,"Zoë ""Z"" Dubois",Lyon', // line 8
      'bad@@example.com,Bad,Rome', //               line 9
    ].join('\n');
    const report = await importCsv(stack.services.pool, listId, csv(file), { status: 'confirmed' });
    expect(report.rejected).toEqual([
      { line: 3, reason: "invalid email address 'not-an-address': it has no @" },
      { line: 4, reason: "missing column 'city' (expected 3 columns, found 2)" },
      { line: 5, reason: 'duplicate of line 2 (ADA@Example.com)' },
      { line: 7, reason: 'missing email address' },
      { line: 9, reason: "invalid email address 'bad@@example.com': it has more than one @" },
    ]);
    expect(report.imported).toBe(3);
    const { rows } = await stack.services.pool.query(
      `SELECT s.email, s.name, s.attributes, sub.status FROM subscribers s JOIN subscriptions sub ON sub.subscriber_id = s.id
       WHERE sub.list_id = $1 ORDER BY s.email`,
      [listId],
    );
    expect(rows).toEqual([
      { email: 'ada@example.com', name: 'Ada Lovelace', attributes: { city: 'London' }, status: 'confirmed' },
      { email: 'zoe@example.org', name: 'Zoë "Z" Dubois', attributes: { city: 'Lyon' }, status: 'confirmed' },
      // An internationalised address (RFC 6531) is accepted.
      { email: '王小明+news@example.com', name: '王小明', attributes: { city: '北京' }, status: 'confirmed' },
    ]);
  });

  it('runs again without duplicates, merges attributes and never re-subscribes someone who left', async () => {
    await stack.services.pool.query(
      "UPDATE subscriptions SET status = 'unsubscribed' WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = 'zoe@example.org')",
    );
    const report = await importCsv(stack.services.pool, listId, csv('email,plan\nAda@Example.com,pro\nzoe@example.org,free\n'), { status: 'confirmed' });
    expect(report).toMatchObject({ imported: 2, subscribed: 0, rejected: [] });
    const { rows } = await stack.services.pool.query(
      `SELECT s.email, s.name, s.attributes, sub.status FROM subscribers s JOIN subscriptions sub ON sub.subscriber_id = s.id ORDER BY s.email`,
    );
    expect(rows).toEqual([
      { email: 'ada@example.com', name: 'Ada Lovelace', attributes: { city: 'London', plan: 'pro' }, status: 'confirmed' },
      { email: 'zoe@example.org', name: 'Zoë "Z" Dubois', attributes: { city: 'Lyon', plan: 'free' }, status: 'unsubscribed' },
      { email: '王小明+news@example.com', name: '王小明', attributes: { city: '北京' }, status: 'confirmed' },
    ]);
  });

  it('refuses a file without an email column, naming what it found, and stores nothing', async () => {
    await expect(importCsv(stack.services.pool, listId, csv('mail,name\nx@example.com,X\n'), { status: 'confirmed' })).rejects.toThrow(
      "line 1: the header has no 'email' column (found: mail, name)",
    );
    const { rows } = await stack.services.pool.query("SELECT count(*)::int AS n FROM subscribers WHERE email = 'x@example.com'");
    expect(rows[0].n).toBe(0);
  });

  it('reports a malformed CSV row and keeps going', async () => {
    const report = await importCsv(stack.services.pool, listId, csv('email,name\nq@example.com,"unclosed\nr@example.com,R\n'), { status: 'unconfirmed' });
    expect(report.rejected.length).toBeGreaterThan(0);
    expect(report.rejected[0].reason).toMatch(/malformed CSV|quote/i);
  });
});
