import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { getListBySlug } from '../../db/lists';
import { TidingsError } from '../../errors';
import { createImportJob, finishImportJob, getImportJob, reopenImportJob, type ImportJob } from '../../db/imports';
import { describeReading, importCsv, type ImportReport } from '../../imports/csv-import';
import { IMPORT_SOURCES, type ImportSource } from '../../imports/sources';
import { IMPORTED_STATUSES, type DefaultStatus } from '../../imports/statuses';
import { parseEncoding } from '../../imports/text-encoding';
import { exportList } from '../../imports/export';
import { commandContext, output, withServices } from '../context';

export interface ImportCommandOptions {
  status: string;
  from?: string;
  encoding?: string;
  dryRun?: boolean;
  resume?: string;
  json?: boolean;
}

export async function importCommand(listSlug: string, file: string, opts: ImportCommandOptions): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (opts.status !== 'confirmed' && opts.status !== 'unconfirmed') {
    throw new TidingsError('INVALID_INPUT', `--status must be confirmed or unconfirmed, got '${opts.status}'`);
  }
  if (opts.from && !(IMPORT_SOURCES as readonly string[]).includes(opts.from)) {
    throw new TidingsError('INVALID_INPUT', `--from must be one of ${IMPORT_SOURCES.join(', ')}, got '${opts.from}'`);
  }
  if (opts.dryRun && opts.resume) throw new TidingsError('INVALID_INPUT', '--dry-run and --resume cannot be used together');
  const encoding = opts.encoding ? parseEncoding(opts.encoding) : undefined;
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      throw new TidingsError('INVALID_INPUT', `cannot read ${file}: no such file`, { file });
    },
  );
  await withServices(ctx, async ({ pool }) => {
    const list = await getListBySlug(pool, listSlug);
    let job: ImportJob | undefined;
    if (opts.resume) {
      job = await getImportJob(pool, Number(opts.resume));
      if (job.listId !== list.id) throw new TidingsError('INVALID_INPUT', `import ${job.id} was into another list, not ${list.slug}`, { importId: job.id });
      await reopenImportJob(pool, job.id);
    } else if (!opts.dryRun) {
      job = await createImportJob(pool, { listId: list.id, source: path.basename(file), subscriptionStatus: opts.status });
    }
    const stream = createReadStream(file);
    const bar =
      !ctx.json && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'importing |{bar}| {percentage}% | {rows} rows | {rate} rows/s | rejected {rejected}', stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    const started = Date.now();
    bar?.start(Math.max(size, 1), 0, { rows: 0, rate: 0, rejected: 0 });
    let report: ImportReport;
    try {
      report = await importCsv(pool, list.id, stream, {
        status: (opts.resume && job ? job.subscriptionStatus : opts.status) as DefaultStatus,
        from: opts.from as ImportSource | undefined,
        fileName: path.basename(file),
        encoding,
        dryRun: opts.dryRun,
        jobId: job?.id,
        resumeAfterLine: opts.resume && job ? job.checkpointLine : 0,
        onProgress: (p) =>
          bar?.update(stream.bytesRead, { rows: p.rowsRead, rejected: p.rejected, rate: Math.round(p.rowsRead / Math.max((Date.now() - started) / 1000, 0.001)) }),
      });
    } catch (err) {
      if (job) await finishImportJob(pool, job.id, (err as Error).message);
      throw err;
    } finally {
      bar?.update(size);
      bar?.stop();
    }
    if (job) await finishImportJob(pool, job.id);
    const final = job ? await getImportJob(pool, job.id) : undefined;
    const shown = report.rejected.slice(0, opts.dryRun ? 20 : 1000);
    const counts = IMPORTED_STATUSES.filter((s) => report.statuses[s] > 0).map((s) => `${report.statuses[s]} ${s}`);
    const reading = describeReading(report);
    const summary = opts.dryRun
      ? `dry run, nothing written: ${report.imported} of ${report.rowsRead} rows would be imported into ${list.slug} (${counts.join(', ') || 'none'}), ${report.rejectedCount} rejected; existing subscriptions keep their status unless a row unsubscribes them`
      : `import ${job!.id}: imported ${final!.imported} rows into ${list.slug} (${final!.subscribed} newly subscribed; ${counts.join(', ') || 'none'}), rejected ${final!.rejected}`;
    output(
      ctx,
      {
        id: job?.id ?? null,
        list: list.slug,
        dryRun: Boolean(opts.dryRun),
        source: report.source,
        detected: report.detected,
        encoding: report.encoding,
        delimiter: report.delimiter,
        rowsRead: report.rowsRead,
        imported: final?.imported ?? report.imported,
        subscribed: final?.subscribed ?? 0,
        statuses: report.statuses,
        rejectedCount: final?.rejected ?? report.rejectedCount,
        rejected: shown,
        resumedAfterLine: opts.resume && job ? job.checkpointLine : 0,
      },
      [
        reading.charAt(0).toUpperCase() + reading.slice(1),
        ...shown.map((r) => `line ${r.line}: ${r.reason}`),
        ...(report.rejectedCount > shown.length
          ? [`… and ${report.rejectedCount - shown.length} more rejected rows${job ? ` (all of them: GET /api/imports/${job.id}/rejections)` : ''}`]
          : []),
        summary,
      ],
    );
    if (report.rowsRead > 0 && report.rejectedCount >= report.rowsRead) {
      process.stderr.write(`error: every row of ${path.basename(file)} was rejected: nothing was imported (see the reasons above)\n`);
      process.exitCode = 1;
    }
  });
}

export async function exportCommand(listSlug: string, opts: { format: string; status?: string; output?: string }): Promise<void> {
  const ctx = commandContext({ quiet: true });
  if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new TidingsError('INVALID_INPUT', `--format must be csv or jsonl, got '${opts.format}'`);
  await withServices(ctx, async ({ pool }) => {
    const list = await getListBySlug(pool, listSlug);
    const out = opts.output ? createWriteStream(opts.output) : process.stdout;
    await pipeline(exportList(pool, list.id, opts.format as 'csv' | 'jsonl', { status: opts.status }), out, { end: Boolean(opts.output) });
  });
}

