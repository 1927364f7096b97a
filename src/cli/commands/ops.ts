import path from 'node:path';
import { ingestReportFiles } from '../../bounces/ingest';
import { listSenderAlerts } from '../../db/bounces';
import { listSuppressions, removeSuppression, suppress, type SuppressionReason } from '../../db/suppressions';
import { TidingsError } from '../../errors';
import { checkEmailAddress } from '../../mail/email-address';
import { formatSendStats } from '../../stats/format';
import { getSendStats } from '../../stats/send-stats';
import { commandContext, output, withServices } from '../context';

export async function statsCommand(sendId: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    const stats = await getSendStats(pool, Number(sendId));
    output(ctx, { id: stats.send.id, ...stats }, formatSendStats(stats));
  });
}

export async function bouncesIngestCommand(target: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool, log, config }) => {
    const files = await ingestReportFiles({ pool, log, config }, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new TidingsError('INVALID_INPUT', `cannot read ${target}: no such file or folder`, { target });
      throw err;
    });
    const results = files.flatMap((f) => f.results);
    const summary = {
      files: files.length,
      reports: results.length,
      applied: results.filter((r) => r.applied).length,
      suppressed: results.filter((r) => r.suppressed).length,
      errors: files.filter((f) => f.type === 'error').length,
    };
    const lines = files.map((f) => {
      const what = f.results.length
        ? f.results.map((r) => `${r.email} ${r.kind}${r.suppressed ? ' → suppressed' : ''}${r.applied ? '' : ' (already applied or not a bounce)'}`).join('; ')
        : (f.note ?? 'nothing to apply');
      return `${path.basename(f.file)}: ${f.type}: ${what}`;
    });
    lines.push(`${summary.files} files, ${summary.reports} reports, ${summary.applied} applied, ${summary.suppressed} suppressed${summary.errors ? `, ${summary.errors} unreadable` : ''}`);
    output(ctx, { id: null, ...summary, files: files.map((f) => ({ ...f, file: f.file })) }, lines);
  });
}

const REASONS: SuppressionReason[] = ['hard_bounce', 'soft_bounce', 'complaint', 'manual'];

export async function suppressionsListCommand(opts: { reason?: string; search?: string; limit: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (opts.reason && !REASONS.includes(opts.reason as SuppressionReason)) {
    throw new TidingsError('INVALID_INPUT', `--reason must be one of ${REASONS.join(', ')}, got '${opts.reason}'`);
  }
  await withServices(ctx, async ({ pool }) => {
    const rows = await listSuppressions(pool, { limit: Number(opts.limit) || 100, reason: opts.reason as SuppressionReason | undefined, search: opts.search });
    const alerts = await listSenderAlerts(pool, 5);
    output(ctx, { id: null, suppressions: rows, senderAlerts: alerts }, [
      ...rows.map((r) => `${r.createdAt.toISOString().slice(0, 19).replace('T', ' ')}  ${r.reason.padEnd(11)}  ${r.source.padEnd(8)}  ${r.email}`),
      `${rows.length} suppressed addresses shown`,
      ...(alerts.length ? ['', 'recent sender problems (5.7.x: fix authentication or reputation, nobody was suppressed):'] : []),
      ...alerts.map((a) => `  ${a.createdAt.toISOString().slice(0, 19).replace('T', ' ')}  ${a.statusCode ?? '-'}  ${a.email ?? ''}  ${(a.diagnostic ?? '').slice(0, 100)}`),
    ]);
  });
}

export async function suppressionsAddCommand(input: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const check = checkEmailAddress(input);
  if (!check.ok) throw new TidingsError('INVALID_INPUT', check.problem, { email: input });
  const email = check.address;
  await withServices(ctx, async ({ pool }) => {
    const added = await suppress(pool, { email, reason: 'manual', source: 'cli' });
    output(ctx, { id: email, added }, [added ? `suppressed ${email}` : `${email} was already suppressed`]);
  });
}

export async function suppressionsRemoveCommand(email: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    const removed = await removeSuppression(pool, email);
    if (!removed) throw new TidingsError('NOT_FOUND', `'${email}' is not on the suppression list`, { email });
    output(ctx, { id: email, removed }, [`removed ${email} from the suppression list; the subscriber is active again`]);
  });
}
