import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout's rules (issue 10, points 11 and 13), checked on the source text: SQL lives in src/db only,
// rendering stays pure, the config and the wiring depend on no layer above them, and the README's layout
// table names the folders that exist.

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [rel] : [];
  });
}

/** The modules a file imports (static, dynamic and type-only), as paths relative to the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.map((s) => path.join(path.dirname(file), s));
}

const code = [...sourceFiles('src'), ...sourceFiles('workers')];

describe('layout', () => {
  it('keeps every SQL statement in src/db', () => {
    const sql = /\.query\s*[<(]|\b(SELECT\s+[\w"*(]|INSERT INTO|DELETE FROM|UPDATE \w+ (?:\w+ )?SET|SET LOCAL)\b/;
    const offenders = code.filter((f) => !f.startsWith('src/db/') && sql.test(readFileSync(path.join(root, f), 'utf8')));
    expect(offenders, 'SQL outside src/db: move the query into a named function in src/db').toEqual([]);
  });

  it('writes events from one module', () => {
    const writers = code.filter((f) => /INSERT INTO events\b/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(writers).toEqual(['src/db/events.ts']);
  });

  it('keeps src/render free of the database', () => {
    const offenders = sourceFiles('src/render').flatMap((f) => importsOf(f).filter((i) => i.startsWith('src/db')).map((i) => `${f} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it('lets src/config.ts depend on nothing in src/mail', () => {
    expect(importsOf('src/config.ts').filter((i) => i.startsWith('src/mail'))).toEqual([]);
  });

  it('lets src/app depend on no HTTP route module', () => {
    const offenders = sourceFiles('src/app').flatMap((f) => importsOf(f).filter((i) => i.startsWith('src/http')).map((i) => `${f} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it('gives the fan-out and deliver processors their store, never the services or the database', () => {
    for (const file of ['workers/deliver.ts', 'workers/fanout.ts']) {
      const text = readFileSync(path.join(root, file), 'utf8');
      const runtimeImports = [...text.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]);
      expect(runtimeImports.filter((i) => i.includes('/db/') || i.includes('/app/')), file).toEqual([]);
      expect(text, file).not.toMatch(/\bServices\b/);
    }
  });

  it('builds the DKIM signer once per process, in the wiring', () => {
    const builders = code.filter((f) => f !== 'src/mail/dkim.ts' && /dkimSignerFor\(/.test(readFileSync(path.join(root, f), 'utf8')));
    // services.ts for every process with services; the file preview, which has none, makes its own.
    expect(builders).toEqual(['src/app/services.ts', 'src/cli/commands/issue-tools.ts']);
  });

  it('names in the README layout table exactly the folders there are', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
    const listed = [...section.matchAll(/^\| `([^`]+)\/` \|/gm)].map((m) => m[1]).sort();
    const isDir = (p: string) => statSync(path.join(root, p)).isDirectory();
    // Folders git ignores (dist/ made by `npm install`, outbox/, preview/) are no part of the layout.
    const ignored = new Set(readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
    const top = readdirSync(root).filter((d) => !d.startsWith('.') && !ignored.has(d) && d !== 'src' && isDir(d));
    const actual = [
      ...top,
      ...readdirSync(path.join(root, 'src')).map((d) => `src/${d}`).filter(isDir),
      ...readdirSync(path.join(root, 'src/http')).map((d) => `src/http/${d}`).filter(isDir),
      'test/golden',
    ].sort();
    expect(listed).toEqual(actual);
  });
});
