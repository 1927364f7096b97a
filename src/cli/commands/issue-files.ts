import { readFile } from 'node:fs/promises';
import { TidingsError } from '../../errors';
import { createIssueFromFile } from '../../issues/create-issue';
import { issueFileOptions } from '../../issues/issue-file-options';
import { changeIssueDefaults } from '../../issues/list-issue-defaults';
import { mediaStoreFor } from '../../media/media-store';
import { formatFindings } from '../../render/preflight';
import { addressCheckFor } from '../../render/preflight-addresses';
import { preflightFile } from '../../render/preflight-file';
import { checkTemplateSet, listTemplateSets } from '../../render/template-sets';
import { commandContext, output, withPool, withServices } from '../context';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** `tidings issue create <file>`: a YAML or Markdown issue, its local images uploaded, stored. */
export async function issueCreateCommand(file: string, opts: { list?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool, config }) => {
    const options = await issueFileOptions(config, pool, opts.list);
    const { issue, created, updated, uploaded } = await createIssueFromFile(pool, file, options);
    const verb = created ? 'created' : updated ? 'updated' : 'unchanged:';
    output(ctx, { id: issue.id, slug: issue.slug, subject: issue.subject, created, updated, uploaded, htmlBytes: Buffer.byteLength(issue.html) }, [
      `${verb} issue ${issue.slug} (id ${issue.id}): ${issue.subject}${uploaded ? ` (${uploaded} image(s) uploaded to the media store)` : ''}`,
    ]);
  });
}

/**
 * `tidings issue check <file>`: every problem of a YAML or Markdown issue in one run; exit code 1 when an
 * error is found. With --list, settings the issue leaves out come from that list (the database is read).
 */
export async function issueCheckCommand(file: string, opts: { list?: string; json?: boolean; templates?: string }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const options = opts.list ? await withPool(ctx, (pool) => issueFileOptions(ctx.config, pool, opts.list)) : await issueFileOptions(ctx.config);
  // Judged as a send from this configuration would be: images and links readers cannot reach are reported.
  const report = await preflightFile(file, { ...options, templatesDir: opts.templates, addresses: addressCheckFor(ctx.config) });
  const ok = report.errors.length === 0;
  output(ctx, { id: file, ok, htmlBytes: report.htmlBytes, errors: report.errors, warnings: report.warnings }, [
    ...formatFindings(report),
    `${ok ? 'ok' : 'not sendable'}: ${file}: ${report.errors.length} error(s), ${report.warnings.length} warning(s)${report.htmlBytes ? `, HTML ${kb(report.htmlBytes)} (Gmail clips above 102 KB)` : ''}`,
  ]);
  if (!ok) process.exitCode = 1;
}

/** `tidings media add <file>`: checks and stores an image, prints its public URL. */
export async function mediaAddCommand(file: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new TidingsError('INVALID_INPUT', `cannot read ${file}: ${err.code ?? err.message}`, { file });
  });
  const stored = await mediaStoreFor(ctx.config).put(bytes, file);
  output(ctx, { id: stored.name, ...stored }, [
    `${stored.created ? 'stored' : 'already stored:'} ${stored.url} (${stored.contentType}, ${stored.width}×${stored.height} px, ${kb(stored.bytes)}${stored.scaled ? ', scaled down to fit twice the column width' : ''})`,
  ]);
}

/** `tidings template list`. */
export async function templateListCommand(opts: { json?: boolean; templates?: string }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const sets = await listTemplateSets(opts.templates);
  output(ctx, { id: 'templates', sets }, sets.map((s) => `${s.name.padEnd(12)} ${s.description} (${s.files.length} files)`));
}

/** `tidings template check <name>`: exit code 1 when a file of the set has an error. */
export async function templateCheckCommand(name: string, opts: { json?: boolean; templates?: string }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const problems = await checkTemplateSet(name, opts.templates);
  output(ctx, { id: name, ok: problems.length === 0, problems }, [
    ...problems.map((p) => `error: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`),
    problems.length ? `template set ${name}: ${problems.length} error(s)` : `ok: template set ${name} compiles and renders`,
  ]);
  if (problems.length) process.exitCode = 1;
}

/** `tidings list set <slug> --template … --postal-address … --default-name …`: a list's issue defaults. */
export async function listSetCommand(slug: string, opts: { template?: string; postalAddress?: string; defaultName?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (opts.template === undefined && opts.postalAddress === undefined && opts.defaultName === undefined) {
    throw new TidingsError('INVALID_INPUT', 'give at least one of --template, --postal-address, --default-name (an empty value clears it)');
  }
  await withPool(ctx, (pool) => changeIssueDefaults(pool, slug, { template: opts.template, postalAddress: opts.postalAddress, defaultName: opts.defaultName }));
  output(ctx, { id: slug, template: opts.template, postalAddress: opts.postalAddress, defaultName: opts.defaultName }, [`list ${slug}: issue defaults updated`]);
}
