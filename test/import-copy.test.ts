import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyField } from '../src/db/import-rows';
import { createList } from '../src/db/lists';
import { importCsv } from '../src/imports/csv-import';
import { startStack, type TestStack } from './helpers';

const csv = (text: string) => Readable.from([Buffer.from(text)]);

describe('COPY text format', () => {
  it('escapes backslashes, tabs and line ends, and writes NULL as \\N', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    // A literal "\N" is a two-character string, not NULL.
    expect(copyField('\\N')).toBe('\\\\N');
  });
});

describe('import through the staging table', () => {
  let stack: TestStack;
  let listId: number;

  beforeAll(async () => {
    stack = await startStack();
    listId = (await createList(stack.services.pool, { slug: 'copy', name: 'Copy' })).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('stores names and attributes with backslashes, quotes, tabs and line breaks exactly as read', async () => {
    const file = [
      'email,name,note,path',
      'back@example.com,"C:\\Users\\ada","tab\there","\\N"',
      'lines@example.com,"Line\\nbreak","two\nlines ""quoted""","a\\\\b"',
      'nulls@example.com,,,',
    ].join('\n');
    const report = await importCsv(stack.services.pool, listId, csv(file), { status: 'confirmed', batchSize: 2 });
    expect(report.rejected).toEqual([]);
    expect(report.imported).toBe(3);
    const { rows } = await stack.services.pool.query(
      `SELECT s.email, s.name, s.attributes FROM subscribers s JOIN subscriptions sub ON sub.subscriber_id = s.id
       WHERE sub.list_id = $1 ORDER BY s.email`,
      [listId],
    );
    expect(rows).toEqual([
      { email: 'back@example.com', name: 'C:\\Users\\ada', attributes: { note: 'tab\there', path: '\\N' } },
      { email: 'lines@example.com', name: 'Line\\nbreak', attributes: { note: 'two\nlines "quoted"', path: 'a\\\\b' } },
      { email: 'nulls@example.com', name: '', attributes: expect.any(Object) },
    ]);
  });

  it('a second import on the same connections finds the staging table empty (no row of the first counted again)', async () => {
    const first = await importCsv(stack.services.pool, listId, csv('email\nonce@example.com\ntwice@example.com\n'), { status: 'confirmed' });
    const second = await importCsv(stack.services.pool, listId, csv('email\nthird@example.com\n'), { status: 'confirmed' });
    expect(first.imported).toBe(2);
    expect(second).toMatchObject({ imported: 1, subscribed: 1 });
    expect(second.statuses.confirmed).toBe(1);
  });
});
