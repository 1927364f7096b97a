import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { createList, getListBySlug } from '../../db/lists';
import type { SubscriptionStatus } from '../../db/states';
import { TidingsError } from '../../errors';
import { createImportJob, finishImportJob, getImportJob, reopenImportJob, type ImportJob } from '../../db/imports';
import { importCsv } from '../../imports/csv-import';
import { exportList } from '../../imports/export';
import { createIssueFromFile } from '../../issues/create-issue';
import { commandContext, output, withServices } from '../context';

export async function listCreateCommand(slug: string, opts: { name: string; doubleOptIn?: boolean; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    const list = await createList(pool, { slug, name: opts.name, doubleOptIn: opts.doubleOptIn });
    output(ctx, { ...list }, [`created list ${list.slug} (id ${list.id}): ${list.name}${list.doubleOptIn ? ', double opt-in' : ''}`]);
  });
}

export async function importCommand(listSlug: string, file: string, opts: { status: string; resume?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (opts.status !== 'confirmed' && opts.status !== 'unconfirmed') {
    throw new TidingsError('INVALID_INPUT', `--status must be confirmed or unconfirmed, got '${opts.status}'`);
  }
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      throw new TidingsError('INVALID_INPUT', `cannot read ${file}: no such file`, { file });
    },
  );
  await withServices(ctx, async ({ pool }) => {
    const list = await getListBySlug(pool, listSlug);
    let job: ImportJob;
    if (opts.resume) {
      job = await getImportJob(pool, Number(opts.resume));
      if (job.listId !== list.id) throw new TidingsError('INVALID_INPUT', `import ${job.id} was into another list, not ${list.slug}`, { importId: job.id });
      await reopenImportJob(pool, job.id);
    } else {
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
    let report;
    try {
      report = await importCsv(pool, list.id, stream, {
        status: (opts.resume ? job.subscriptionStatus : opts.status) as SubscriptionStatus,
        jobId: job.id,
        resumeAfterLine: opts.resume ? job.checkpointLine : 0,
        onProgress: (p) =>
          bar?.update(stream.bytesRead, { rows: p.rowsRead, rejected: p.rejected, rate: Math.round(p.rowsRead / Math.max((Date.now() - started) / 1000, 0.001)) }),
      });
    } catch (err) {
      await finishImportJob(pool, job.id, (err as Error).message);
      throw err;
    } finally {
      bar?.update(size);
      bar?.stop();
    }
    await finishImportJob(pool, job.id);
    const final = await getImportJob(pool, job.id);
    const shown = report.rejected.slice(0, 1000);
    output(
      ctx,
      { id: job.id, list: list.slug, imported: final.imported, subscribed: final.subscribed, rejectedCount: final.rejected, rejected: shown, resumedAfterLine: opts.resume ? job.checkpointLine : 0 },
      [
        ...shown.map((r) => `line ${r.line}: ${r.reason}`),
        ...(report.rejectedCount > shown.length ? [`… and ${report.rejectedCount - shown.length} more rejected rows (all of them: GET /api/imports/${job.id}/rejections)`] : []),
        `import ${job.id}: imported ${final.imported} rows into ${list.slug} (${final.subscribed} newly subscribed), rejected ${final.rejected}`,
      ],
    );
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

export async function issueCreateCommand(file: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool, config }) => {
    const { issue, created, updated } = await createIssueFromFile(pool, file, { assetBaseUrl: config.assetBaseUrl });
    const verb = created ? 'created' : updated ? 'updated' : 'unchanged:';
    output(ctx, { id: issue.id, slug: issue.slug, subject: issue.subject, created, updated, htmlBytes: Buffer.byteLength(issue.html) }, [
      `${verb} issue ${issue.slug} (id ${issue.id}): ${issue.subject}`,
    ]);
  });
}
