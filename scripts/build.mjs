// `npm run build` (npm runs it at install through `prepare`): the `tidings` command compiled once, so a
// command does not pay for compiling TypeScript at every start (tsx took ~1.5 s of a 2 s `--help`).
// One ES module per lazily loaded command (code splitting keeps `--help` from loading MJML or BullMQ);
// dependencies stay in node_modules. Every output file sits in dist/cli/, two levels below the project
// root like the sources in src/<folder>/, so their `new URL('../../templates', import.meta.url)` paths
// still point at the project's templates/, migrations/, public/ and content/.
import { cp, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const outdir = new URL('dist/cli/', root);
await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
