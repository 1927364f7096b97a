import { readFile } from 'node:fs/promises';
import type { Pool } from '../db/pool';
import { saveIssue, type Issue } from '../db/issues';
import { TidingsError } from '../errors';
import { formatFindings } from '../render/preflight';
import { hashOf, type IssueContent } from '../render/content';
import { readIssueFile, type IssueFileOptions } from '../render/issue-file';
import { renderIssue, type ImageInfo } from '../render/render-issue';
import { DEFAULT_LANGUAGE, LANGUAGES } from '../i18n/languages';

/**
 * `tidings issue create`: reads a YAML or Markdown issue, uploads the local images it names to the media
 * store (their URLs replace the paths in the compiled issue), compiles it and stores it. A file with
 * problems fails with one message listing each with its file and line, and nothing is stored.
 * It is compiled once per catalogue language (the fixed strings of a message are its list's language, and a
 * send never compiles): first in the issue's own language (its list's, with --list), then in the others.
 */
export async function createIssueFromFile(
  pool: Pool,
  file: string,
  options: IssueFileOptions & { templatesDir?: string; slug?: (content: IssueContent, sourceHash: string) => string },
): Promise<{ issue: Issue; created: boolean; updated: boolean; uploaded: number }> {
  const loaded = await readIssueFile(file, options);
  if (loaded.errors.length || !loaded.content) {
    throw new TidingsError('CONTENT_INVALID', `${file} cannot be stored:\n  ${formatFindings({ errors: loaded.errors, warnings: [], htmlBytes: 0 }).join('\n  ')}`, {
      file,
      line: Number(/:(\d+)$/.exec(loaded.errors[0]?.where ?? '')?.[1]) || undefined,
      problems: loaded.errors.length,
    });
  }
  const content = loaded.content;
  const images = new Map<string, ImageInfo>(loaded.images);
  let uploaded = 0;
  for (const upload of loaded.uploads) {
    const stored = await options.media!.put(await readFile(upload.file), `image '${upload.src}'`);
    images.set(upload.src, { url: stored.url, width: stored.width, height: stored.height });
    if (stored.created) uploaded++;
  }
  const language = options.language ?? DEFAULT_LANGUAGE;
  const render = (lang: string) => renderIssue(content, { assetBaseUrl: options.assetBaseUrl, templatesDir: options.templatesDir, images, language: lang });
  const rendered = await render(language);
  const renderings = [];
  for (const other of LANGUAGES.filter((l) => l !== language)) renderings.push(await render(other));
  const sourceHash = hashOf(loaded.source, rendered.html, rendered.text, ...renderings.flatMap((r) => [r.language, r.html, r.text]));
  const saved = await saveIssue(pool, {
    slug: options.slug ? options.slug(content, sourceHash) : content.slug,
    subject: rendered.subject,
    preheader: rendered.preheader,
    template: rendered.template,
    language,
    renderings: renderings.map((r) => ({ language: r.language, html: r.html, text: r.text })),
    defaultName: content.default_name,
    source: loaded.source,
    sourceHash,
    html: rendered.html,
    text: rendered.text,
    compiledPublicUrl: options.publicUrl ?? null,
    compiledAssetBaseUrl: options.assetBaseUrl,
  });
  return { ...saved, uploaded };
}
