import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import validator from 'validator';
import { inTransaction, type Pool } from '../db/pool';
import { upsertSubscribers, type SubscriberInput, type SubscriptionStatus } from '../db/subscribers';
import { TidingsError } from '../errors';
import { singleLine } from '../render/slots';

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  /** Rows that landed (new subscribers and updates of existing ones). */
  imported: number;
  /** Subscribers newly put on the list (existing subscriptions keep their status). */
  subscribed: number;
  rejected: RejectedRow[];
}

export interface ImportOptions {
  status: SubscriptionStatus;
  batchSize?: number;
  onProgress?: (rowsRead: number) => void;
}

/** Why an address cannot be used, or null when it can. */
export function emailProblem(email: string): string | null {
  if (email === '') return 'missing email address';
  if (email.length > 254) return `email address is longer than 254 characters`;
  if (/[^\x21-\x7e]/.test(email)) return `email address '${email.slice(0, 100)}' has spaces or non-ASCII characters (not supported)`;
  if (!validator.isEmail(email, { allow_display_name: false, allow_utf8_local_part: false, require_tld: true, allow_ip_domain: false })) {
    return `invalid email address '${email.slice(0, 100)}'`;
  }
  return null;
}

/**
 * Streams a CSV into a list: a header row naming `email` (required), `name` (optional) and any other
 * columns, which become attributes. Bad rows are reported with their line number and reason while the
 * valid rows land, in batches of one statement each; running the same file again creates no duplicates.
 */
export async function importCsv(pool: Pool, listId: number, input: Readable, options: ImportOptions): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 1000;
  const parser = input.pipe(
    parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true, skip_records_with_error: true }),
  );
  const report: ImportReport = { imported: 0, subscribed: 0, rejected: [] };
  parser.on('skip', (err: Error & { lines?: number }) => {
    report.rejected.push({ line: err.lines ?? 0, reason: `malformed CSV: ${err.message}` });
  });

  let header: string[] | undefined;
  let emailColumn = -1;
  let nameColumn = -1;
  const seen = new Map<string, number>();
  let batch: SubscriberInput[] = [];
  let rowsRead = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const result = await inTransaction(pool, (client) => upsertSubscribers(client, listId, rows, options.status));
    report.imported += result.subscriberIds.length;
    report.subscribed += result.newSubscriptions;
  };

  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = record.map((h) => h.trim().toLowerCase());
      emailColumn = header.indexOf('email');
      nameColumn = header.indexOf('name');
      if (emailColumn < 0) {
        throw new TidingsError('CSV_INVALID', `line ${info.lines}: the header has no 'email' column (found: ${header.join(', ') || 'nothing'})`, {
          line: info.lines,
        });
      }
      continue;
    }
    rowsRead++;
    const line = info.lines;
    if (record.length < header.length) {
      report.rejected.push({ line, reason: `missing column '${header[record.length]}' (expected ${header.length} columns, found ${record.length})` });
      continue;
    }
    if (record.length > header.length) {
      report.rejected.push({ line, reason: `too many columns (expected ${header.length}, found ${record.length})` });
      continue;
    }
    const email = record[emailColumn];
    const problem = emailProblem(email);
    if (problem) {
      report.rejected.push({ line, reason: problem });
      continue;
    }
    const key = email.toLowerCase();
    const firstLine = seen.get(key);
    if (firstLine !== undefined) {
      report.rejected.push({ line, reason: `duplicate of line ${firstLine} (${email})` });
      continue;
    }
    seen.set(key, line);
    const attributes: Record<string, string> = {};
    header.forEach((column, i) => {
      if (i !== emailColumn && i !== nameColumn && column) attributes[column] = record[i];
    });
    batch.push({ email, name: nameColumn >= 0 ? singleLine(record[nameColumn]) : '', attributes });
    if (batch.length >= batchSize) {
      await flush();
      options.onProgress?.(rowsRead);
    }
  }
  await flush();
  options.onProgress?.(rowsRead);
  if (!header) throw new TidingsError('CSV_INVALID', 'the file is empty: expected a header row with an email column', {});
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
}
