import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadContentFile } from './content';
import { renderIssue } from './render-issue';

/**
 * The golden files: the sample issue's compiled HTML and text, kept under test/golden/ so that any change
 * to the content, the templates or the renderer shows in review. Only `npm run golden:update` writes them.
 */
export const GOLDEN_DIR = fileURLToPath(new URL('../../test/golden', import.meta.url));
export const GOLDEN_SAMPLE = fileURLToPath(new URL('../../content/ml-utd-32.yaml', import.meta.url));
/** Fixed, so the golden files do not depend on ASSET_BASE_URL. */
export const GOLDEN_ASSET_BASE_URL = 'https://assets.example.com/';

export async function renderGolden(): Promise<{ html: string; text: string }> {
  const { content } = await loadContentFile(GOLDEN_SAMPLE);
  const { html, text } = await renderIssue(content, { assetBaseUrl: GOLDEN_ASSET_BASE_URL });
  // One element per line, so a diff of the golden HTML shows what changed.
  return { html: html.replace(/></g, '>\n<') + '\n', text: text + '\n' };
}

export const goldenFiles = { html: path.join(GOLDEN_DIR, 'ml-utd-32.html'), text: path.join(GOLDEN_DIR, 'ml-utd-32.txt') };

export async function readGolden(): Promise<{ html: string; text: string }> {
  return { html: await readFile(goldenFiles.html, 'utf8'), text: await readFile(goldenFiles.text, 'utf8') };
}
