import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { createList, getListBySlug } from '../../db/lists';
import type { SubscriptionStatus } from '../../db/subscribers';
import { TidingsError } from '../../errors';
import { importCsv } from '../../imports/csv-import';
import { createIssueFromFile } from '../../render/create-issue';
import { commandContext, output, withServices } from '../context';

export async function listCreateCommand(slug: string, opts: { name: string; doubleOptIn?: boolean; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    const list = await createList(pool, { slug, name: opts.name, doubleOptIn: opts.doubleOptIn });
    output(ctx, { ...list }, [`created list ${list.slug} (id ${list.id}): ${list.name}${list.doubleOptIn ? ', double opt-in' : ''}`]);
  });
}

export async function importCommand(listSlug: string, file: string, opts: { status: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (opts.status !== 'confirmed' && opts.status !== 'unconfirmed') {
    throw new TidingsError('INVALID_INPUT', `--status must be confirmed or unconfirmed, got '${opts.status}'`);
  }
  await access(file).catch(() => {
    throw new TidingsError('INVALID_INPUT', `cannot read ${file}: no such file`, { file });
  });
  await withServices(ctx, async ({ pool }) => {
    const list = await getListBySlug(pool, listSlug);
    const bar = !ctx.json && process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'importing | {value} rows', stream: process.stderr }) : undefined;
    bar?.start(0, 0);
    const report = await importCsv(pool, list.id, createReadStream(file), {
      status: opts.status as SubscriptionStatus,
      onProgress: (rows) => bar?.update(rows),
    }).finally(() => bar?.stop());
    output(ctx, { id: list.id, list: list.slug, imported: report.imported, subscribed: report.subscribed, rejected: report.rejected }, [
      ...report.rejected.map((r) => `line ${r.line}: ${r.reason}`),
      `imported ${report.imported} rows into ${list.slug} (${report.subscribed} newly subscribed), rejected ${report.rejected.length}`,
    ]);
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
