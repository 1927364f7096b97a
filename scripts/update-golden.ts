// Regenerates test/golden/ from the sample issue: `npm run golden:update`. Review the diff before committing.
import { mkdir, writeFile } from 'node:fs/promises';
import { GOLDEN_DIR, goldenFiles, goldenMarkdownFiles, renderGolden, renderGoldenMarkdown } from '../src/render/golden';

const { html, text } = await renderGolden();
await mkdir(GOLDEN_DIR, { recursive: true });
await writeFile(goldenFiles.html, html);
await writeFile(goldenFiles.text, text);
process.stdout.write(`wrote ${goldenFiles.html} (${Buffer.byteLength(html)} bytes) and ${goldenFiles.text} (${Buffer.byteLength(text)} bytes)\n`);

const markdown = await renderGoldenMarkdown();
await writeFile(goldenMarkdownFiles.html, markdown.html);
await writeFile(goldenMarkdownFiles.text, markdown.text);
process.stdout.write(`wrote ${goldenMarkdownFiles.html} (${Buffer.byteLength(markdown.html)} bytes) and ${goldenMarkdownFiles.text} (${Buffer.byteLength(markdown.text)} bytes)\n`);
