import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImportJob, getImportJob, listImportRejections } from '../src/db/imports';
import { createList } from '../src/db/lists';
import { AddressSet } from '../src/imports/address-set';
import { convertCell, parseColumn } from '../src/imports/columns';
import { importCsv } from '../src/imports/csv-import';
import { CsvReader } from '../src/imports/csv-reader';
import { csvField } from '../src/imports/export';
import { startStack, type TestStack } from './helpers';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../bin/tidings.mjs');
const csv = (text: string) => Readable.from([Buffer.from(text)]);

describe('CsvReader', () => {
  const readAll = (chunks: string[]) => {
    const reader = new CsvReader();
    return [...chunks.flatMap((c) => reader.push(c)), ...reader.end()];
  };

  it('gives each record the line it starts on, across quoted line breaks, CRLF and empty lines', () => {
    const rows = readAll(['\ufeffemail,name\r\n', 'a@x.test,"two\r\nlines"\r\n\r\n', 'b@x.test, spaced \r\n"c@x.test","say ""hi"""']);
    expect(rows).toEqual([
      { line: 1, fields: ['email', 'name'] },
      { line: 2, fields: ['a@x.test', 'two\r\nlines'] },
      { line: 5, fields: ['b@x.test', 'spaced'] },
      { line: 6, fields: ['c@x.test', 'say "hi"'] },
    ]);
  });

  it('gives the same records whatever the chunking, even a CRLF split in two', () => {
    const text = 'email,name\r\na@x.test,"A, ""the"" first"\r\nb@x.test,B\r\n';
    const whole = readAll([text]);
    for (let cut = 1; cut < text.length; cut++) expect(readAll([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
  });

  it('reports broken quoting with the line and goes on', () => {
    expect(readAll(['email\n"a@x.test"junk\nb@x.test\n'])).toEqual([
      { line: 1, fields: ['email'] },
      { line: 2, error: "malformed CSV: unexpected character 'j' after a closing quote" },
      { line: 3, fields: ['b@x.test'] },
    ]);
    // An unclosed quote rejects its own line; the lines after it are read as records of their own.
    expect(readAll(['email\n"never closed\nx'])).toEqual([
      { line: 1, fields: ['email'] },
      { line: 2, error: 'malformed CSV: quote opened on line 2 is never closed' },
      { line: 3, fields: ['x'] },
    ]);
  });
});

describe('AddressSet', () => {
  it('finds duplicates case-insensitively with the first line, through growth', () => {
    const set = new AddressSet(16);
    for (let i = 0; i < 50_000; i++) expect(set.addOrGetLine(`reader${i}@example.com`, i + 2)).toBe(0);
    expect(set.addOrGetLine('READER123@example.com', 99_999)).toBe(125);
    expect(set.size).toBe(50_000);
  });
});

describe('typed columns', () => {
  it('parses types and refuses unknown ones', () => {
    expect(parseColumn('Age:number', 1)).toEqual({ name: 'age', type: 'number' });
    expect(parseColumn('city', 1)).toEqual({ name: 'city', type: 'text' });
    expect(() => parseColumn('age:integer', 1)).toThrow("column 'age:integer' has unknown type 'integer'");
    expect(convertCell({ name: 'vip', type: 'boolean' }, 'yes')).toEqual({ value: true });
    expect(convertCell({ name: 'age', type: 'number' }, 'old').error).toBe("column 'age' expects a number, got 'old'");
  });

  it('quotes CSV fields only when needed', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
  });
});

describe('imports at scale', () => {
  let stack: TestStack;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack();
    dir = mkdtempSync(path.join(tmpdir(), 'tidings-import-'));
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports duplicates across batches, wrong types and unknown column types, and keeps the report in the job', async () => {
    const { pool } = stack.services;
    const list = await createList(pool, { slug: 'typed', name: 'Typed' });
    const job = await createImportJob(pool, { listId: list.id, source: 'test', subscriptionStatus: 'unconfirmed' });
    const file = ['email,name,age:number,vip:boolean', 'a@example.com,A,31,yes', 'b@example.com,B,old,no', 'c@example.com,C,,', 'A@EXAMPLE.com,A2,1,no', 'd@example.com,D,40,maybe'].join('\n');
    const progress: number[] = [];
    const report = await importCsv(pool, list.id, csv(file), { status: 'unconfirmed', batchSize: 1, jobId: job.id, onProgress: (p) => progress.push(p.rowsRead) });
    expect(report.rejected).toEqual([
      { line: 3, reason: "column 'age' expects a number, got 'old'" },
      { line: 5, reason: 'duplicate of line 2 (A@EXAMPLE.com)' },
      { line: 6, reason: "column 'vip' expects true or false, got 'maybe'" },
    ]);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const stored = await getImportJob(pool, job.id);
    expect(stored).toMatchObject({ imported: 2, subscribed: 2, rejected: 3, rowsRead: 5, checkpointLine: 6 });
    expect(await listImportRejections(pool, job.id, 10)).toEqual(report.rejected);
    const { rows } = await pool.query(`SELECT email, attributes FROM subscribers WHERE email IN ('a@example.com', 'c@example.com') ORDER BY email`);
    expect(rows).toEqual([
      { email: 'a@example.com', attributes: { age: 31, vip: true } },
      { email: 'c@example.com', attributes: {} },
    ]);
    await expect(importCsv(pool, list.id, csv('email,age:integer\n'), { status: 'confirmed' })).rejects.toMatchObject({ code: 'CSV_INVALID' });
  });

  it('an import interrupted half-way resumes after its checkpoint with no duplicates', async () => {
    const { pool } = stack.services;
    const list = await createList(pool, { slug: 'resumed', name: 'Resumed' });
    // Large enough (~300 KB) that the encoding sample (64 KB) is read well before the break.
    const lines = ['email,name', ...Array.from({ length: 10_000 }, (_, i) => `r${i}@example.com,Reader ${i}`), 'r5@example.com,dup'];
    const text = lines.join('\n') + '\n';
    const job = await createImportJob(pool, { listId: list.id, source: 'test', subscriptionStatus: 'confirmed' });
    // The stream breaks after about 60% of the file, as a killed process or a dropped upload would.
    const cut = text.indexOf('r6000@');
    const broken = new Readable({
      read() {
        this.push(text.slice(0, cut));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(importCsv(pool, list.id, broken, { status: 'confirmed', batchSize: 100, jobId: job.id })).rejects.toThrow('connection reset');
    const half = await getImportJob(pool, job.id);
    expect(half.checkpointLine).toBeGreaterThan(100);
    expect(half.checkpointLine).toBeLessThan(6002);

    const report = await importCsv(pool, list.id, csv(text), { status: 'confirmed', batchSize: 100, jobId: job.id, resumeAfterLine: half.checkpointLine });
    expect(report.rejected).toEqual([{ line: 10_002, reason: 'duplicate of line 7 (r5@example.com)' }]);
    const { rows } = await pool.query('SELECT count(*)::int AS n, count(DISTINCT subscriber_id)::int AS d FROM subscriptions WHERE list_id = $1', [list.id]);
    expect(rows[0]).toEqual({ n: 10_000, d: 10_000 });
    expect((await getImportJob(pool, job.id)).imported).toBe(10_000);
  });

  it('tidings import (with --resume) and tidings export round-trip through the command line', async () => {
    const { pool } = stack.services;
    await createList(pool, { slug: 'cli', name: 'CLI' });
    const file = path.join(dir, 'people.csv');
    writeFileSync(file, 'email,name,city\nada@example.com,"Lovelace, Ada",London\nbad-address,X,Y\nwang@@example.com,王,北京\n');
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...stack.env };
    const imported = await run(process.execPath, [BIN, 'import', 'cli', file, '--json'], { env });
    const result = JSON.parse(imported.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ imported: 1, rejectedCount: 2, rejected: [{ line: 3 }, { line: 4 }] });
    const again = await run(process.execPath, [BIN, 'import', 'cli', file, '--resume', String(result.id), '--json'], { env });
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ id: result.id, imported: 1, rejectedCount: 2 });

    const exported = await run(process.execPath, [BIN, 'export', 'cli'], { env });
    const out = exported.stdout.trim().split('\n');
    expect(out[0]).toBe('email,name,status,subscribed_at,attributes:json');
    expect(out[1]).toMatch(/^ada@example\.com,"Lovelace, Ada",confirmed,\d{4}-\d\d-\d\dT[\d:.]+Z,"{""city"":""London""}"$/);
    // What export writes, import reads back (attributes as JSON).
    writeFileSync(path.join(dir, 'back.csv'), exported.stdout);
    await createList(pool, { slug: 'back', name: 'Back' });
    const back = await run(process.execPath, [BIN, 'import', 'back', path.join(dir, 'back.csv'), '--json'], { env });
    expect(JSON.parse(back.stdout.trim().split('\n').at(-1)!)).toMatchObject({ imported: 1, rejectedCount: 0 });
  });
});
