// Builds the operator app (src/ui) into dist/app with esbuild: one script and one stylesheet, content-hashed,
// and manifest.json naming them for the server. Run by `npm run build:app` (and so by `npm install`).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = path.join(root, 'dist/app');
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  entryPoints: { app: path.join(root, 'src/ui/main.tsx') },
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
const js = outputs.find((f) => /^app-.*\.js$/.test(f));
const css = outputs.find((f) => /^app-.*\.css$/.test(f));
if (!js || !css) throw new Error(`build-app: expected app-*.js and app-*.css, got ${outputs.join(', ')}`);
await writeFile(path.join(outdir, 'manifest.json'), JSON.stringify({ js, css }) + '\n');
process.stdout.write(`operator app built: dist/app/${js}, dist/app/${css}\n`);
