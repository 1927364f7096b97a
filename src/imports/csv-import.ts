import type { Readable } from 'node:stream';
import { recordImportBatch } from '../db/imports';
import { inTransaction, skipCommitFlush, type Pool } from '../db/pool';
import { importSubscriberBatch } from '../db/import-rows';
import type { SubscriptionStatus } from '../db/states';
import type { SubscriberInput } from '../db/subscribers';
import { TidingsError } from '../errors';
import { checkEmailAddress } from '../mail/email-address';
import { singleLine } from '../render/slots';
import { AddressSet } from './address-set';
import { convertCell, parseColumn, type Column } from './columns';
import { readCsv } from './csv-reader';

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  /** Rows that landed (new subscribers and updates of existing ones). */
  imported: number;
  /** Subscribers newly put on the list (existing subscriptions keep their status). */
  subscribed: number;
  /** Data rows read (the header not counted). */
  rowsRead: number;
  /** The first `maxReported` rejected rows, by line; with an import job every one is in import_rejections. */
  rejected: RejectedRow[];
  rejectedCount: number;
}

export interface ImportOptions {
  status: SubscriptionStatus;
  /** Rows per upsert (two statements each). */
  batchSize?: number;
  onProgress?: (progress: { rowsRead: number; imported: number; rejected: number }) => void;
  /** An import_jobs row to keep progress, rejections and the checkpoint in. */
  jobId?: number;
  /** Lines up to this one already landed in an earlier run of the same job: they are read (for duplicates) but not written. */
  resumeAfterLine?: number;
  maxReported?: number;
  /** Batches written at once, on separate connections (default 3: one commits while the next are written). */
  writers?: number;
}

/**
 * Streams a CSV into a list: a header row naming `email` (required), `name` (optional) and any other
 * columns, which become attributes (optionally typed: `age:number`). Bad rows are reported with their line
 * number and reason while the valid rows land in batches, one transaction each, the next batch being parsed
 * while the previous one is written. Memory stays flat whatever the file's size, except for the compact set
 * of addresses seen (duplicates within the file are reported with the line they repeat). Running the same
 * file again creates no duplicates; with a job, a resumed run skips the lines that already landed.
 */
export async function importCsv(pool: Pool, listId: number, input: Readable, options: ImportOptions): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 5000;
  const maxReported = options.maxReported ?? 10_000;
  const resumeAfter = options.resumeAfterLine ?? 0;
  const report: ImportReport = { imported: 0, subscribed: 0, rowsRead: 0, rejected: [], rejectedCount: 0 };
  let pendingRejections: RejectedRow[] = [];
  const reject = (line: number, reason: string) => {
    if (line <= resumeAfter) return;
    report.rejectedCount++;
    if (report.rejected.length < maxReported) report.rejected.push({ line, reason });
    if (options.jobId) pendingRejections.push({ line, reason });
  };

  let columns: Column[] | undefined;
  let emailColumn = -1;
  let nameColumn = -1;
  const seen = new AddressSet();
  let batch: SubscriberInput[] = [];
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
    while (inFlight.length >= writers) await Promise.race(inFlight);
    const before = previousCommit;
    const write = inTransaction(pool, async (client) => {
      // No wait for the WAL flush at each commit: a crash can lose the last batches, but each batch's checkpoint
      // is in its own transaction, so --resume still starts exactly after what landed.
      await skipCommitFlush(client);
      const result = await importSubscriberBatch(client, listId, rows, options.status);
      await before;
      if (options.jobId) {
        await recordImportBatch(client, options.jobId, { ...progress, imported: result.upserted, subscribed: result.newSubscriptions, rejections });
      }
      return result;
    }).then((result) => {
      report.imported += result.upserted;
      report.subscribed += result.newSubscriptions;
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

  try {
    for await (const chunk of readCsv(input)) {
      for (const row of chunk) {
        if (row.error !== undefined) {
          if (columns) report.rowsRead++;
          reject(row.line, row.error);
          continue;
        }
        const record = row.fields;
        if (!columns) {
          columns = record.map((h) => parseColumn(h, row.line));
          emailColumn = columns.findIndex((c) => c.name === 'email');
          nameColumn = columns.findIndex((c) => c.name === 'name');
          if (emailColumn < 0) {
            throw new TidingsError('CSV_INVALID', `line ${row.line}: the header has no 'email' column (found: ${columns.map((c) => c.name).join(', ') || 'nothing'})`, {
              line: row.line,
            });
          }
          continue;
        }
        report.rowsRead++;
        const line = row.line;
        lastLine = line;
        if (record.length !== columns.length) {
          reject(
            line,
            record.length < columns.length
              ? `missing column '${columns[record.length].name}' (expected ${columns.length} columns, found ${record.length})`
              : `too many columns (expected ${columns.length}, found ${record.length})`,
          );
          continue;
        }
        const address = checkEmailAddress(record[emailColumn]);
        if (!address.ok) {
          reject(line, address.problem);
          continue;
        }
        const email = address.address;
        const firstLine = seen.addOrGetLine(email, line);
        if (firstLine) {
          reject(line, `duplicate of line ${firstLine} (${record[emailColumn].trim()})`);
          continue;
        }
        if (line <= resumeAfter) continue;
        const attributes: Record<string, unknown> = {};
        let typeError: string | undefined;
        for (let i = 0; i < columns.length; i++) {
          if (i === emailColumn || i === nameColumn || !columns[i].name) continue;
          const cell = columns[i].type === 'text' ? { value: record[i] } : convertCell(columns[i], record[i]);
          if (cell.error) {
            typeError = cell.error;
            break;
          }
          // An `attributes:json` column (what `tidings export` writes) is merged, not nested.
          if (columns[i].name === 'attributes' && cell.value && typeof cell.value === 'object' && !Array.isArray(cell.value)) Object.assign(attributes, cell.value);
          else if (cell.value !== undefined) attributes[columns[i].name] = cell.value;
        }
        if (typeError) {
          reject(line, typeError);
          continue;
        }
        batch.push({ email, name: nameColumn >= 0 ? singleLine(record[nameColumn]) : '', attributes });
        if (batch.length >= batchSize) await flush();
      }
    }
  } catch (err) {
    // Let the batches already sent finish (their checkpoints stay exact) before reporting the failure.
    await Promise.allSettled(inFlight);
    throw err;
  }
  if (!columns) throw new TidingsError('CSV_INVALID', 'the file is empty: expected a header row with an email column', {});
  if (batch.length || pendingRejections.length || options.jobId) await flush();
  await Promise.all(inFlight);
  await previousCommit;
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
}
