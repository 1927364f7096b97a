#!/usr/bin/env node
// The `tidings` command. `npm install` compiles it once into dist/cli/ (npm runs the `prepare` script,
// `npm run build`), so a command starts without compiling TypeScript. When a source file is newer than that
// build (an edit, a checkout, a rebase), the sources run through tsx instead: what runs is never older than
// what is on disk. `npm run build` makes the fast path current again.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const built = new URL('dist/cli/main.js', root);

/** Newest modification time under `dir` (about 200 files: a few milliseconds). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return latest;
}

function builtIsCurrent() {
  try {
    const builtAt = statSync(built).mtimeMs;
    return builtAt >= newest(new URL('src', root)) && builtAt >= newest(new URL('workers', root));
  } catch {
    return false;
  }
}

const fromBuild = builtIsCurrent();
// Why a start is slow, when it is: TIDINGS_DEBUG_STARTUP=1 says which code runs.
if (process.env.TIDINGS_DEBUG_STARTUP) {
  process.stderr.write(fromBuild ? 'tidings: running the build in dist/cli\n' : 'tidings: running the sources through tsx (no build, or a source is newer: npm run build)\n');
}
if (fromBuild) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
