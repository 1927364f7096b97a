import type { Readable } from 'node:stream';
import { recordImportBatch } from '../db/imports';
import { inTransaction, skipCommitFlush, type Pool } from '../db/pool';
import { importSubscriberBatch, type ImportRow } from '../db/import-rows';
import { TidingsError } from '../errors';
import { checkEmailAddress } from '../mail/email-address';
import { singleLine } from '../render/slots';
import { AddressSet } from './address-set';
import { CsvReader, DELIMITER_NAMES, readCsv, type Delimiter } from './csv-reader';
import { planImport, type ImportPlan, type ImportSource, type MappedRow } from './sources';
import { emptyStatusCounts, type DefaultStatus, type ImportedStatus } from './statuses';
import { decodeText, type TextEncoding } from './text-encoding';

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  /** The shape the file was read as, and whether it was recognised from the header (or named with --from). */
  source: ImportSource;
  sourceLabel: string;
  detected: boolean;
  encoding: TextEncoding;
  delimiter: Delimiter;
  /** Rows that landed (new subscribers and updates of existing ones); in a dry run, the rows that would. */
  imported: number;
  /** Subscribers newly put on the list (existing subscriptions keep their status). */
  subscribed: number;
  /** Rows per status they ended with (a dry run: the status the file gives them). */
  statuses: Record<ImportedStatus, number>;
  /** Data rows read (the header not counted). */
  rowsRead: number;
  /** The first `maxReported` rejected rows, by line; with an import job every one is in import_rejections. */
  rejected: RejectedRow[];
  rejectedCount: number;
  dryRun: boolean;
  /** The header's column names. */
  columns: string[];
  /** The first `sample` accepted rows as they map (what the app shows before an import). */
  sample: SampleRow[];
}

/** An accepted row as the shape mapped it. */
export interface SampleRow {
  line: number;
  email: string;
  name: string;
  status: ImportedStatus;
  /** The status word the file gave, when it gave one. */
  sourceStatus: string | null;
  attributes: Record<string, unknown>;
}

export interface ImportOptions {
  /** The subscription status of rows whose file gives them none (`--status`). */
  status: DefaultStatus;
  /** The export's shape; recognised from the header when not given. */
  from?: ImportSource;
  /** The file's name (Mailchimp puts the status in it). */
  fileName?: string;
  /** The text encoding; detected from the first 64 KB when not given. */
  encoding?: TextEncoding;
  /** Read, check and count everything, write nothing. */
  dryRun?: boolean;
  /** Rows per upsert (two statements each). */
  batchSize?: number;
  onProgress?: (progress: { rowsRead: number; imported: number; rejected: number }) => void;
  /** An import_jobs row to keep progress, rejections and the checkpoint in. */
  jobId?: number;
  /** Lines up to this one already landed in an earlier run of the same job: they are read (for duplicates) but not written. */
  resumeAfterLine?: number;
  maxReported?: number;
  /** How many accepted rows to keep in `sample` (default none). */
  sample?: number;
  /** Batches written at once, on separate connections (default 3: one commits while the next are written). */
  writers?: number;
}

/** A mapped row as the batch write takes it, with the address in its stored form. */
export function importRow(row: MappedRow, email: string, source: ImportSource, line: number): ImportRow {
  const { status } = row;
  return {
    email,
    name: singleLine(row.name).slice(0, 200),
    attributes: row.attributes,
    subscription: status.subscription,
    blocked: status.status === 'disabled' || status.status === 'suppressed',
    suppression: status.suppression ?? null,
    details: status.suppression ? { imported_from: source, status: status.sourceStatus ?? null, line } : null,
    subscribedAt: row.subscribedAt ?? null,
    confirmedAt: row.confirmedAt ?? null,
    unsubscribedAt: row.unsubscribedAt ?? null,
  };
}

/**
 * Streams an export into a list. The bytes are decoded (encoding detected), the CSV read (separator detected),
 * the header recognised as one of the services people leave (or plain CSV), and each row mapped by that
 * service's columns and status rules (src/imports/sources, src/imports/statuses) and its address checked by
 * the one validator. Bad rows are reported with their line number and reason while the valid rows land in
 * batches, one transaction each, the next batch being parsed while the previous one is written. Memory stays
 * flat whatever the file's size, except for the compact set of addresses seen (duplicates within the file are
 * reported with the line they repeat). Running the same file again creates no duplicates; with a job, a
 * resumed run skips the lines that already landed. With `dryRun` nothing is written.
 */
export async function importCsv(pool: Pool, listId: number, input: Readable | AsyncIterable<Buffer | string>, options: ImportOptions): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 5000;
  const maxReported = options.maxReported ?? 10_000;
  const resumeAfter = options.resumeAfterLine ?? 0;
  const dryRun = options.dryRun === true;
  let encoding: TextEncoding = options.encoding ?? 'utf-8';
  const reader = new CsvReader();
  const report: ImportReport = {
    source: 'csv', sourceLabel: 'CSV', detected: true, encoding, delimiter: ',',
    imported: 0, subscribed: 0, statuses: emptyStatusCounts(), rowsRead: 0, rejected: [], rejectedCount: 0, dryRun, sample: [], columns: [],
  };
  const sampleSize = options.sample ?? 0;
  let pendingRejections: RejectedRow[] = [];
  const reject = (line: number, reason: string) => {
    if (line <= resumeAfter) return;
    report.rejectedCount++;
    if (report.rejected.length < maxReported) report.rejected.push({ line, reason });
    if (options.jobId) pendingRejections.push({ line, reason });
  };

  let plan: ImportPlan | undefined;
  const seen = new AddressSet();
  let batch: ImportRow[] = [];
  let lastLine = 0;
  // Batches being written: up to `writers` at once, each on its own connection. Each batch commits only after
  // the one before it, so the checkpoint line always means "every line up to here has landed".
  const writers = options.writers ?? 3;
  let inFlight: Array<Promise<void>> = [];
  let previousCommit: Promise<void> = Promise.resolve();

  const flush = async () => {
    const rows = batch;
    const rejections = pendingRejections;
    const progress = { rowsRead: report.rowsRead, checkpointLine: lastLine };
    batch = [];
    pendingRejections = [];
    if (dryRun) {
      report.imported += rows.length;
      options.onProgress?.({ rowsRead: progress.rowsRead, imported: report.imported, rejected: report.rejectedCount });
      return;
    }
    while (inFlight.length >= writers) await Promise.race(inFlight);
    const before = previousCommit;
    const write = inTransaction(pool, async (client) => {
      // No wait for the WAL flush at each commit: a crash can lose the last batches, but each batch's checkpoint
      // is in its own transaction, so --resume still starts exactly after what landed.
      await skipCommitFlush(client);
      const result = await importSubscriberBatch(client, listId, rows);
      await before;
      if (options.jobId) {
        await recordImportBatch(client, options.jobId, { ...progress, imported: rows.length, subscribed: result.newSubscriptions, rejections });
      }
      return result;
    }).then((result) => {
      report.imported += rows.length;
      report.subscribed += result.newSubscriptions;
      for (const [status, n] of Object.entries(result.statuses)) report.statuses[status as ImportedStatus] += n;
      options.onProgress?.({ rowsRead: progress.rowsRead, imported: report.imported, rejected: report.rejectedCount });
    });
    previousCommit = write;
    const tracked = write.finally(() => {
      inFlight = inFlight.filter((p) => p !== tracked);
    });
    inFlight.push(tracked);
    // Errors surface when the batches are awaited (next flush or the end); keep them from being unhandled.
    tracked.catch(() => {});
  };

  const text = decodeText(input, {
    encoding: options.encoding,
    onEncoding: (e) => {
      encoding = e;
    },
  });
  try {
    for await (const chunk of readCsv(text, reader)) {
      for (const row of chunk) {
        if (row.error !== undefined) {
          if (plan) report.rowsRead++;
          reject(row.line, row.error);
          continue;
        }
        const record = row.fields;
        if (!plan) {
          plan = planImport(record, { defaultStatus: options.status, fileName: options.fileName, from: options.from });
          continue;
        }
        report.rowsRead++;
        const line = row.line;
        lastLine = line;
        const expected = plan.columns.length;
        if (record.length !== expected) {
          reject(
            line,
            record.length < expected
              ? `missing column '${plan.columns[record.length]}' (expected ${expected} columns, found ${record.length})`
              : `too many columns (expected ${expected}, found ${record.length}): a field that holds the separator must be in quotes`,
          );
          continue;
        }
        if (record.some((field) => field.includes('\ufffd'))) {
          reject(line, "has a replacement character (�): characters were lost when the file was saved or converted; re-save it as CSV UTF-8 from the original");
          continue;
        }
        const mapped = plan.map(record);
        if (mapped.error !== undefined) {
          reject(line, mapped.error);
          continue;
        }
        const address = checkEmailAddress(mapped.row.email);
        if (!address.ok) {
          reject(line, address.problem);
          continue;
        }
        // Only accepted rows count as seen: a row repeating a rejected one is not a duplicate.
        const firstLine = seen.addOrGetLine(address.address.toLowerCase(), line);
        if (firstLine) {
          reject(line, `duplicate of line ${firstLine} (${mapped.row.email})`);
          continue;
        }
        if (line <= resumeAfter) continue;
        if (report.sample.length < sampleSize) {
          const { name, attributes, status } = mapped.row;
          report.sample.push({ line, email: address.address, name, status: status.status, sourceStatus: status.sourceStatus ?? null, attributes });
        }
        if (dryRun) report.statuses[mapped.row.status.status]++;
        batch.push(importRow(mapped.row, address.address, plan.source, line));
        if (batch.length >= batchSize) await flush();
      }
    }
  } catch (err) {
    // Let the batches already sent finish (their checkpoints stay exact) before reporting the failure.
    await Promise.allSettled(inFlight);
    throw err;
  }
  if (!plan) throw new TidingsError('CSV_INVALID', 'the file is empty: expected a header row with an email column', {});
  if (batch.length || pendingRejections.length || (options.jobId && !dryRun)) await flush();
  await Promise.all(inFlight);
  await previousCommit;
  report.source = plan.source;
  report.sourceLabel = plan.label;
  report.columns = plan.columns;
  report.detected = plan.detected;
  report.encoding = encoding;
  report.delimiter = reader.separator ?? ',';
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
}

/** One line saying how the file was read: "Read as a Mailchimp audience export (recognised from the header), UTF-8, semicolon-separated." */
export function describeReading(report: Pick<ImportReport, 'sourceLabel' | 'detected' | 'encoding' | 'delimiter'>): string {
  return `read as ${/^[aeiou]/i.test(report.sourceLabel) ? 'an' : 'a'} ${report.sourceLabel} (${report.detected ? 'recognised from the header' : 'as --from says'}), ${report.encoding.toUpperCase()}, ${DELIMITER_NAMES[report.delimiter]}-separated`;
}
