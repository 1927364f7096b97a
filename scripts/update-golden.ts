// Regenerates test/golden/ from the sample issue: `npm run golden:update`. Review the diff before committing.
import { mkdir, writeFile } from 'node:fs/promises';
import { GOLDEN_DIR, goldenFiles, renderGolden } from '../src/render/golden';

const { html, text } = await renderGolden();
await mkdir(GOLDEN_DIR, { recursive: true });
await writeFile(goldenFiles.html, html);
await writeFile(goldenFiles.text, text);
process.stdout.write(`wrote ${goldenFiles.html} (${Buffer.byteLength(html)} bytes) and ${goldenFiles.text} (${Buffer.byteLength(text)} bytes)\n`);
