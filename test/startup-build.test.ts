import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../src/db/pool';
import { isolatedEnv } from './helpers';

// Issue 11.14: the command is compiled once at install (npm's `prepare` runs `npm run build`) and runs from
// dist/ unless a source is newer. Built here into a copy of the project (sources linked, not copied), so
// the test never rewrites the dist/ that other test files may be running.
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
let copy: string;
const env = isolatedEnv();

beforeAll(async () => {
  copy = await mkdtemp(path.join(tmpdir(), 'tidings-build-'));
  for (const dir of ['src', 'workers', 'templates', 'migrations', 'public', 'content', 'node_modules']) {
    await symlink(path.join(ROOT, dir), path.join(copy, dir));
  }
  await symlink(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
  await mkdir(path.join(copy, 'bin'));
  await mkdir(path.join(copy, 'scripts'));
  await cp(path.join(ROOT, 'bin/tidings.mjs'), path.join(copy, 'bin/tidings.mjs'));
  await cp(path.join(ROOT, 'scripts/build.mjs'), path.join(copy, 'scripts/build.mjs'));
  await run(process.execPath, [path.join(copy, 'scripts/build.mjs')]);
}, 120_000);
afterAll(async () => {
  await dropDatabase(env.DATABASE_URL).catch(() => {});
  await rm(copy, { recursive: true, force: true });
});

const tidings = (args: string[]) =>
  run(process.execPath, [path.join(copy, 'bin/tidings.mjs'), ...args], { env: { PATH: process.env.PATH!, HOME: tmpdir(), ...env, TIDINGS_DEBUG_STARTUP: '1' } });

describe('the compiled command', () => {
  it('is what `npm install` builds: prepare runs the build', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toMatch(/npm run build/);
    expect(pkg.scripts.build).toContain('scripts/build.mjs');
  });

  it('runs from dist/ when it is current, and finds migrations, templates and the admin page from there', async () => {
    const help = await tidings(['--help']);
    expect(help.stderr).toContain('running the build in dist/cli');
    expect(help.stdout).toContain('Usage: tidings');
    // migrate reads migrations/ relative to the module: from dist/cli/ that must still be the project's.
    const migrated = await tidings(['migrate', '--json']);
    expect(migrated.stderr).toContain('running the build in dist/cli');
    expect(JSON.parse(migrated.stdout.trim().split('\n').pop()!).applied).toContain('0001_init.sql');
    const status = await tidings(['status', '1']).catch((err: { stderr: string; code: number }) => err);
    expect(status).toMatchObject({ code: 1 });
    expect((status as { stderr: string }).stderr).toContain("send '1' does not exist");
    // The operator app's bundle (dist/app/, from build:app) is found relative to the module, so the compiled
    // chunks must keep the path that src/http/app-dist.ts spells, from a file two levels below the root.
    const chunks = await readdir(path.join(copy, 'dist/cli'));
    const sources = await Promise.all(chunks.filter((f) => f.endsWith('.js')).map((f) => readFile(path.join(copy, 'dist/cli', f), 'utf8')));
    expect(sources.some((js) => js.includes('new URL("../../dist/app", import.meta.url)'))).toBe(true);
  });

  it('runs the sources through tsx when a source is newer than the build', async () => {
    // The build's own entry made older than the sources: the same as editing a source after building.
    const old = new Date(Date.now() - 3_600_000 * 24 * 365 * 30);
    await utimes(path.join(copy, 'dist/cli/main.js'), old, old);
    const help = await tidings(['--help']);
    expect(help.stderr).toContain('running the sources through tsx');
    expect(help.stdout).toContain('Usage: tidings');
  });
});
