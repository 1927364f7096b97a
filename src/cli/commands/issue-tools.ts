import { stat } from 'node:fs/promises';
import path from 'node:path';
import { getIssue, issueInLanguage } from '../../db/issues';
import { getListBySlug } from '../../db/lists';
import { TidingsError } from '../../errors';
import { createMailer } from '../../app/runtime';
import { issueFileOptions } from '../../issues/issue-file-options';
import { readIssueFile } from '../../render/issue-file';
import { formatFindings } from '../../render/preflight';
import { writePreview } from '../../render/preview';
import { renderIssue } from '../../render/render-issue';
import { Links } from '../../security/links';
import { TokenCodec } from '../../security/tokens';
import { buildSingleMessage, standInList } from '../../send/single-message';
import { dkimSignerFor } from '../../mail/dkim';
import { testSend } from '../../send/test-send';
import { commandContext, output, withPool, withServices } from '../context';
import { printWarnings } from '../preflight-warnings';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * `tidings preview <issue> [--out dir]`: the HTML, text and .eml of one personalised message plus PNG
 * screenshots at 375 and 700 px. <issue> is a stored issue (id or slug) or a content file, which needs no
 * database.
 */
export async function previewCommand(
  issueRef: string,
  opts: { out: string; list?: string; name?: string; chromium?: string; json?: boolean },
): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const { config } = ctx;
  const isFile = /\.(ya?ml|md|markdown)$/i.test(issueRef) && (await stat(issueRef).then((s) => s.isFile(), () => false));
  let message;
  if (isFile) {
    // A content file is previewed without storing it; --list only reads the list (its name, From, language).
    const loaded = await readIssueFile(issueRef, await issueFileOptions(config));
    if (!loaded.content || loaded.errors.length) {
      throw new TidingsError('CONTENT_INVALID', `${issueRef} has problems; see \`tidings issue check ${issueRef}\`:\n  ${formatFindings({ errors: loaded.errors, warnings: [], htmlBytes: 0 }).join('\n  ')}`);
    }
    const content = loaded.content;
    const named = opts.list ? await withPool(ctx, (pool) => getListBySlug(pool, opts.list!)) : undefined;
    const rendered = await renderIssue(content, { assetBaseUrl: config.assetBaseUrl, images: loaded.images, language: named?.language });
    const links = new Links(config.publicUrl, new TokenCodec(config.secretKey));
    const list = named ?? standInList(content.title, 'preview');
    message = buildSingleMessage({
      config,
      links,
      // No services here (nothing is stored or sent): this process's one signer, made from the config.
      dkim: dkimSignerFor(config),
      issue: { id: 0, slug: content.slug, subject: rendered.subject, html: rendered.html, text: rendered.text, defaultName: content.default_name },
      list,
      recipient: { email: 'preview@example.com', name: opts.name },
      messageNumber: 1,
    });
    message = { ...message, slug: content.slug };
  } else {
    message = await withServices(ctx, async ({ pool, links, dkim }) => {
      const stored = await getIssue(pool, issueRef);
      const named = opts.list ? await getListBySlug(pool, opts.list) : undefined;
      const issue = named ? await issueInLanguage(pool, stored, named.language) : stored;
      const list = named ?? standInList(issue.subject, 'preview');
      const built = buildSingleMessage({ config, links, dkim, issue, list, recipient: { email: 'preview@example.com', name: opts.name }, messageNumber: 1 });
      return { ...built, slug: issue.slug };
    });
  }
  const result = await writePreview(
    { slug: message.slug, html: message.html, text: message.text, eml: message.raw },
    { outDir: path.resolve(opts.out), assetBaseUrl: config.assetBaseUrl, chromium: opts.chromium },
  );
  if (result.skipped) process.stderr.write(`warning: ${result.skipped}\n`);
  output(ctx, { id: message.slug, files: result.files, screenshots: result.screenshots, skipped: result.skipped ?? null, htmlBytes: Buffer.byteLength(message.html) }, [
    ...result.files.map((f) => `wrote ${path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f)}`),
    `HTML ${kb(Buffer.byteLength(message.html))} (Gmail clips above 102 KB)`,
  ]);
}

/** `tidings send <issue> --test <email>`: one personalised message to that address; no send row. */
export async function testSendCommand(issueRef: string, opts: { test: string; list?: string; at?: string; wait?: boolean; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (opts.at || opts.wait) throw new TidingsError('INVALID_INPUT', '--test sends one message at once: leave out --at and --wait');
  await withServices(ctx, async (services) => {
    const { mailer, description } = await createMailer(services.config, services.log);
    try {
      const result = await testSend(services, mailer, issueRef, opts.test, { list: opts.list });
      printWarnings(result.warnings);
      output(ctx, { id: result.messageId, issue: result.issue.slug, to: result.to, response: result.response }, [
        `test message of ${result.issue.slug} sent to ${result.to} via ${description}: ${result.response}`,
      ]);
    } finally {
      await mailer.close();
    }
  });
}
