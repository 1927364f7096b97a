import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { importCsv } from '../src/imports/csv-import';
import { CsvReader } from '../src/imports/csv-reader';
import { detectEncoding } from '../src/imports/text-encoding';
import { startStack, type TestStack } from './helpers';

/**
 * Files as people have them (issue 14) and the CSV mistakes of issue 11.16: encodings that spreadsheets save,
 * separators, BOMs, line ends, quotes that are never closed, duplicates of rejected rows.
 */
const ENCODINGS = path.resolve(__dirname, 'fixtures/imports/encodings');
const bytes = (text: string) => Readable.from([Buffer.from(text)]);

let stack: TestStack;
let listId: number;
beforeAll(async () => {
  stack = await startStack();
  listId = (await createList(stack.services.pool, { slug: 'files', name: 'Files' })).id;
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const names = async (emails: string[]) =>
  (await stack.services.pool.query<{ email: string; name: string }>('SELECT email, name FROM subscribers WHERE email = ANY($1) ORDER BY email', [emails])).rows;

describe('encodings, detected and converted', () => {
  it.each([
    ['excel-zh-gb18030.csv', 'gb18030', ',', { 'wang@example.com': '王小明', 'li@example.com': '李华', 'zhao@example.cn': '赵丽颖' }],
    ['excel-ja-shift_jis.csv', 'shift_jis', ',', { 'tanaka@example.jp': '田中太郎', 'suzuki@example.jp': '鈴木花子' }],
    ['excel-fr-windows-1252-semicolon.csv', 'windows-1252', ';', { 'zoe@example.fr': 'Zoë Dubois', 'jurgen@example.de': 'Jürgen Müller', 'francois@example.fr': 'François L’Hôte' }],
    ['excel-unicode-text-utf16le.txt', 'utf-16le', '\t', { 'nora@example.no': 'Nora Ødegård', '用户@例子.广告': '用户' }],
    ['utf8-bom-semicolon.csv', 'utf-8', ';', { 'anna@example.se': 'Anna Åström' }],
  ])('%s is read as %s, %j-separated', async (file, encoding, delimiter, expected) => {
    const report = await importCsv(stack.services.pool, listId, createReadStream(path.join(ENCODINGS, file)), { status: 'confirmed', fileName: file });
    expect(report).toMatchObject({ encoding, delimiter, rejected: [], imported: Object.keys(expected).length });
    const stored = await names(Object.keys(expected));
    expect(Object.fromEntries(stored.map((r) => [r.email, r.name]))).toEqual(expected);
    for (const row of stored) expect(row.name).not.toContain('\ufffd');
  });

  it('refuses a file whose encoding cannot be told, saying how to re-save it, and stores nothing', async () => {
    await expect(importCsv(stack.services.pool, listId, createReadStream(path.join(ENCODINGS, 'mixed-encodings.csv')), { status: 'confirmed' })).rejects.toMatchObject({
      code: 'CSV_INVALID',
      message: expect.stringMatching(/not UTF-8, and its encoding could not be told for sure: open it in Excel.*CSV UTF-8.*--encoding gb18030/),
    });
    expect(await names(['zoe@example.fr', 'wang@example.com'])).toHaveLength(2); // from the earlier files only
    expect((await stack.services.pool.query(`SELECT count(*)::int AS n FROM subscribers WHERE name LIKE '%\ufffd%'`)).rows[0].n).toBe(0);
  });

  it('an encoding named with --encoding is used as given', async () => {
    const file = iconv.encode('email,name\nkim@example.kr,Kim Müller\n', 'win1252');
    const report = await importCsv(stack.services.pool, listId, Readable.from([file]), { status: 'confirmed', encoding: 'windows-1252' });
    expect(report.encoding).toBe('windows-1252');
    expect(await names(['kim@example.kr'])).toEqual([{ email: 'kim@example.kr', name: 'Kim Müller' }]);
  });

  it('a file that turns into another encoding after the sample stops at that line; replacement characters are never stored', async () => {
    const ascii = Array.from({ length: 4000 }, (_, i) => `ascii${i}@example.com,Reader ${i}`).join('\n');
    const tail = iconv.encode('\nlate@example.com,王小明\n', 'gb18030');
    const error = await importCsv(stack.services.pool, listId, Readable.from([Buffer.from('email,name\n' + ascii), tail]), { status: 'confirmed' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CSV_INVALID', message: expect.stringMatching(/^line 4002: the file is not valid UTF-8 from here on/) });

    const report = await importCsv(stack.services.pool, listId, bytes('email,name\nlost@example.com,Zo\ufffd\nkept@example.com,Kept\n'), { status: 'confirmed' });
    expect(report.rejected).toEqual([{ line: 2, reason: expect.stringContaining('replacement character') }]);
    expect(await names(['lost@example.com'])).toEqual([]);
  });

  it('tells the encoding of short samples too', () => {
    expect(detectEncoding(iconv.encode('email,name\na@x.de,Jürgen\n', 'win1252'), true)).toBe('windows-1252');
    expect(detectEncoding(iconv.encode('email,name\na@x.cn,张伟\n', 'gbk'), true)).toBe('gb18030');
    expect(detectEncoding(iconv.encode('email,name\na@x.jp,さとう\n', 'shift_jis'), true)).toBe('shift_jis');
    expect(detectEncoding(Buffer.from('email,name\na@x.de,Jürgen\n'), true)).toBe('utf-8');
  });
});

describe('CSV mistakes (issue 11.16)', () => {
  // Each file: the rows rejected (with their line and why) and what was stored of the addresses in it.
  it.each([
    {
      title: 'an unclosed quote rejects its own row, with its line, without swallowing the next',
      csv: 'email,name\nq1@example.com,"Unclosed\nq2@example.com,Second\nq3@example.com,"Third, quoted"\n"q4@example.com,Fourth\n',
      rejected: [
        { line: 2, reason: 'malformed CSV: quote opened on line 2 is not closed on its line' },
        { line: 5, reason: 'malformed CSV: quote opened on line 5 is never closed' },
      ],
      addresses: ['q1@example.com', 'q2@example.com', 'q3@example.com', 'q4@example.com'],
      stored: [
        { email: 'q2@example.com', name: 'Second' },
        { email: 'q3@example.com', name: 'Third, quoted' },
      ],
    },
    {
      title: 'a row repeating a rejected row is not rejected as a duplicate',
      csv: 'email,name,age:number\ndup@example.com,"broken\ndup@example.com,Fixed,30\ntyped@example.com,Bad,old\ntyped@example.com,Good,41\ntyped@example.com,Again,42\n',
      rejected: [
        { line: 2, reason: 'malformed CSV: quote opened on line 2 is never closed' },
        { line: 4, reason: "column 'age' expects a number, got 'old'" },
        { line: 6, reason: 'duplicate of line 5 (typed@example.com)' },
      ],
      addresses: ['dup@example.com', 'typed@example.com'],
      stored: [
        { email: 'dup@example.com', name: 'Fixed' },
        { email: 'typed@example.com', name: 'Good' },
      ],
    },
  ])('$title', async ({ csv, rejected, addresses, stored }) => {
    const report = await importCsv(stack.services.pool, listId, bytes(csv), { status: 'confirmed' });
    expect(report.rejected).toEqual(rejected);
    expect(await names(addresses)).toEqual(stored);
  });

  it('a quoted field may still hold line breaks, CRLF or not', async () => {
    const report = await importCsv(stack.services.pool, listId, bytes('email,name,note\r\nml@example.com,Multi,"line one\r\nline two"\r\nnext@example.com,Next,\r\n'), { status: 'confirmed' });
    expect(report.rejected).toEqual([]);
    const { rows } = await stack.services.pool.query(`SELECT attributes FROM subscribers WHERE email = 'ml@example.com'`);
    expect(rows[0].attributes).toEqual({ note: 'line one\r\nline two' });
  });


  it('reads semicolon- and tab-separated headers, and old Mac line ends', () => {
    const read = (text: string) => {
      const reader = new CsvReader();
      return { rows: [...reader.push(text), ...reader.end()], separator: reader.separator };
    };
    expect(read('email;name;city\na@x.test;"Ann; Jr";Köln\n')).toEqual({ separator: ';', rows: [{ line: 1, fields: ['email', 'name', 'city'] }, { line: 2, fields: ['a@x.test', 'Ann; Jr', 'Köln'] }] });
    expect(read('email\tname\na@x.test\tAnn Lee\n').separator).toBe('\t');
    expect(read('email,name\ra@x.test,A\rb@x.test,B\r').rows).toEqual([
      { line: 1, fields: ['email', 'name'] },
      { line: 2, fields: ['a@x.test', 'A'] },
      { line: 3, fields: ['b@x.test', 'B'] },
    ]);
  });
});
