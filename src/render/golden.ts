import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadContentFile } from './content';
import { readIssueFile } from './issue-file';
import { renderIssue } from './render-issue';

/**
 * The golden files: the sample issue's compiled HTML and text, kept under test/golden/ so that any change
 * to the content, the templates or the renderer shows in review. Only `npm run golden:update` writes them.
 */
export const GOLDEN_DIR = fileURLToPath(new URL('../../test/golden', import.meta.url));
export const GOLDEN_SAMPLE = fileURLToPath(new URL('../../content/ml-utd-32.yaml', import.meta.url));
/** Fixed, so the golden files do not depend on ASSET_BASE_URL. */
export const GOLDEN_ASSET_BASE_URL = 'https://assets.example.com/';
/** The sample is Chinese, and so is the list it is written for (the demo list): its fixed strings too. */
export const GOLDEN_LANGUAGE = 'zh-CN';

export async function renderGolden(): Promise<{ html: string; text: string }> {
  const { content } = await loadContentFile(GOLDEN_SAMPLE);
  const { html, text } = await renderIssue(content, { assetBaseUrl: GOLDEN_ASSET_BASE_URL, language: GOLDEN_LANGUAGE });
  // One element per line, so a diff of the golden HTML shows what changed.
  return { html: html.replace(/></g, '>\n<') + '\n', text: text + '\n' };
}

/**
 * The sample as written (Markdown, no front matter: test/fixtures/ml-utd-32.md is a byte-for-byte copy of
 * the shared sample), with what it leaves out given the way a list gives it.
 */
export const GOLDEN_MARKDOWN_SAMPLE = fileURLToPath(new URL('../../test/fixtures/ml-utd-32.md', import.meta.url));
export const SAMPLE_LIST_DEFAULTS = Object.freeze({ postal_address: 'LifeWithData · 123 Example Street · Springfield, USA', default_name: '读者' });

export async function renderGoldenMarkdown(): Promise<{ html: string; text: string }> {
  const loaded = await readIssueFile(GOLDEN_MARKDOWN_SAMPLE, { assetBaseUrl: GOLDEN_ASSET_BASE_URL, defaults: SAMPLE_LIST_DEFAULTS });
  if (!loaded.content || loaded.errors.length) throw new Error(`the Markdown sample has errors: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const { html, text } = await renderIssue(loaded.content, { assetBaseUrl: GOLDEN_ASSET_BASE_URL, images: loaded.images, language: GOLDEN_LANGUAGE });
  return { html: html.replace(/></g, '>\n<') + '\n', text: text + '\n' };
}

export const goldenMarkdownFiles = { html: path.join(GOLDEN_DIR, 'ml-utd-32-md.html'), text: path.join(GOLDEN_DIR, 'ml-utd-32-md.txt') };

export const goldenFiles = { html: path.join(GOLDEN_DIR, 'ml-utd-32.html'), text: path.join(GOLDEN_DIR, 'ml-utd-32.txt') };

export async function readGolden(): Promise<{ html: string; text: string }> {
  return { html: await readFile(goldenFiles.html, 'utf8'), text: await readFile(goldenFiles.text, 'utf8') };
}
