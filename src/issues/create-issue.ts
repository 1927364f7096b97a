import type { Pool } from '../db/pool';
import { saveIssue, type Issue } from '../db/issues';
import { hashOf, loadContentFile, type IssueContent } from '../render/content';
import { renderIssue } from '../render/render-issue';

/**
 * `tidings issue create`: reads a content file, compiles it once and stores it. An invalid file or template
 * fails with a message naming the file (and line), and nothing is stored.
 */
export async function createIssueFromFile(
  pool: Pool,
  file: string,
  options: { assetBaseUrl: string; templatesDir?: string; slug?: (content: IssueContent, sourceHash: string) => string },
): Promise<{ issue: Issue; created: boolean; updated: boolean }> {
  const { content, source } = await loadContentFile(file);
  const rendered = await renderIssue(content, options);
  const sourceHash = hashOf(source, rendered.html, rendered.text);
  return saveIssue(pool, {
    slug: options.slug ? options.slug(content, sourceHash) : content.slug,
    subject: rendered.subject,
    preheader: rendered.preheader,
    template: rendered.template,
    defaultName: content.default_name,
    source,
    sourceHash,
    html: rendered.html,
    text: rendered.text,
  });
}
