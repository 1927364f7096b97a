import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { migrate } from '../src/db/migrate';
import { createPool, dropDatabase, ensureDatabase, type Pool } from '../src/db/pool';
import { createIssueFromFile } from '../src/issues/create-issue';
import { addressFindings, unreachableHost, type AddressInput } from '../src/render/preflight-addresses';
import { GOLDEN_MARKDOWN_SAMPLE, SAMPLE_LIST_DEFAULTS } from '../src/render/golden';
import { isolatedEnv, removeQueueKeys, startStack, type TestStack } from './helpers';
import { ADMIN_TOKEN, startOpsServer } from './ops-seed';

const root = path.resolve(import.meta.dirname, '..');
const SAMPLE = path.join(root, 'content/ml-utd-32.yaml');
const LETTER = path.join(root, 'content/letter-december.md');

describe('addresses no reader can reach', () => {
  it('knows loopback, private, link-local and local-only hosts, and nothing public', () => {
    const unreachable: Record<string, RegExp> = {
      localhost: /loopback name/, 'app.localhost': /loopback name/, '127.0.0.1': /loopback address/, '127.8.9.10': /loopback address/,
      '[::1]': /loopback address/, '[::ffff:127.0.0.1]': /loopback address/, '10.1.2.3': /private network/, '172.16.0.1': /private network/,
      '172.31.255.254': /private network/, '192.168.1.20': /private network/, '100.64.0.9': /private network/, '0.0.0.0': /private network/,
      '169.254.10.1': /link-local/, '[fe80::1]': /link-local/, '[fd12:3456::1]': /private network/, 'printer.local': /local-network name \(\.local\)/,
      'tidings.internal': /\.internal/, 'nas.home.arpa': /\.home\.arpa/, 'box.lan': /\.lan/, tidings: /without a domain/,
    };
    for (const [host, reason] of Object.entries(unreachable)) expect(unreachableHost(host), host).toMatch(reason);
    for (const host of ['news.example.com', '172.32.0.1', '172.15.255.255', '8.8.8.8', '[2001:4860:4860::8888]', 'localhost.example.com', 'local.example.org', '192.169.0.1']) {
      expect(unreachableHost(host), host).toBeUndefined();
    }
  });

  const check = (input: Partial<AddressInput>) =>
    addressFindings({
      images: [], links: [], compiled: null, severity: 'warning', sending: true, locate: () => 'issue x',
      current: { publicUrl: 'https://news.example.com', assetBaseUrl: 'https://news.example.com/' },
      ...input,
    });

  it('reports images and links per origin, naming the base they were compiled under, at the given severity', () => {
    const compiled = { publicUrl: 'http://localhost:3000', assetBaseUrl: 'http://localhost:3000/' };
    const findings = check({
      compiled,
      current: { publicUrl: 'http://localhost:3000', assetBaseUrl: 'http://localhost:3000/' },
      severity: 'error',
      images: ['http://localhost:3000/img/a.png', 'http://localhost:3000/img/b.png', 'https://cdn.example.com/c.png'],
      links: ['http://192.168.1.5:8080/admin', 'https://example.com/fine', 'mailto:someone@example.com'],
    });
    expect(findings.map((f) => [f.rule, f.severity, f.where])).toEqual([
      ['url-unreachable', 'error', 'config PUBLIC_URL'],
      ['url-unreachable', 'error', 'issue x'],
      ['url-unreachable', 'error', 'issue x'],
    ]);
    expect(findings[0].message).toMatch(/^PUBLIC_URL http:\/\/localhost:3000 is a loopback name: every message's unsubscribe, web-version and tracked links .* set PUBLIC_URL .* https:\/\/news\.example\.com/);
    expect(findings[1].message).toMatch(/^2 image\(s\) point at http:\/\/localhost:3000, a loopback name, e\.g\. 'http:\/\/localhost:3000\/img\/a\.png': .*compiled with ASSET_BASE_URL http:\/\/localhost:3000\/: set PUBLIC_URL/);
    expect(findings[2].message).toMatch(/^1 link\(s\) point at http:\/\/192\.168\.1\.5:8080, a private network address, .*Replace them in the content file/);
    // Before a send only: a file checked without sending judges its own URLs.
    expect(check({ sending: false, current: compiled, compiled })).toEqual([]);
  });

  it('refuses an issue whose images were compiled under another base, and only when it holds such URLs', () => {
    const compiled = { publicUrl: 'https://old.example.com', assetBaseUrl: 'https://assets-old.example.com/' };
    const [stale] = check({ compiled, images: ['https://assets-old.example.com/img/a.png', 'https://old.example.com/media/0123.png'] });
    expect(stale).toMatchObject({ rule: 'base-changed', severity: 'error' });
    expect(stale.message).toBe(
      "the issue was compiled with ASSET_BASE_URL https://assets-old.example.com/ (this server's: https://news.example.com/) and PUBLIC_URL https://old.example.com (this server's: https://news.example.com), under which its media store images are served: " +
        "its images would point at the old address (e.g. 'https://assets-old.example.com/img/a.png'). Create it again with this configuration: tidings issue create <file> (or POST /api/issues).",
    );
    expect(check({ compiled, sent: true, images: ['https://old.example.com/media/0123.png'] })[0].message).toMatch(/PUBLIC_URL https:\/\/old\.example\.com .* It was already sent, so the stored issue keeps what its readers received: give the new one another slug/);
    // A stale loopback image is reported once, as stale: creating the issue again is the fix for both.
    const loopback = check({ compiled: { publicUrl: 'http://localhost:3000', assetBaseUrl: 'http://localhost:3000/' }, images: ['http://localhost:3000/img/a.png'] });
    expect(loopback.map((f) => f.rule)).toEqual(['base-changed']);
    // Nothing compiled in under the old bases (external images only): nothing is stale.
    expect(check({ compiled, images: ['https://cdn.example.com/x.png'] })).toEqual([]);
    // Stored before the bases were recorded: not judged stale (the unreachable rule still looks at every URL).
    expect(check({ compiled: null, images: ['https://assets-old.example.com/img/a.png'] })).toEqual([]);
  });
});

/** Runs the real `tidings` command, with its own log level (warn, as a user's terminal has it). */
const run = promisify(execFile);
async function tidings(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin/tidings.mjs'), ...args], { cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env, LOG_LEVEL: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('tidings send: loopback addresses warn in development, stop a send in production, stale bases are refused', { timeout: 240_000 }, () => {
  const dev = isolatedEnv({ NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:3999' });
  let pool: Pool;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tidings-addresses-'));
    dev.MEDIA_DIR = path.join(dir, 'media');
    await ensureDatabase(dev.DATABASE_URL);
    pool = createPool(dev.DATABASE_URL, 2);
    await migrate(pool);
    for (const slug of ['weekly', 'monthly']) await createList(pool, { slug, name: slug });
  });
  afterAll(async () => {
    await pool?.end();
    await removeQueueKeys(dev.QUEUE_PREFIX);
    await dropDatabase(dev.DATABASE_URL);
  });

  it('a letter with an image beside it (uploaded to the media store), sent in development, then from production', async () => {
    // The letter with its portrait next to the file, as an author has it: `issue create` uploads it.
    const letter = (slug: string) => readFile(LETTER, 'utf8').then((t) => t.replace('---\n', `---\nslug: ${slug}\n`).replace('src: img/letter-portrait.png', 'src: portrait.png'));
    await copyFile(path.join(root, 'public/img/letter-portrait.png'), path.join(dir, 'portrait.png'));
    await writeFile(path.join(dir, 'letter.md'), await letter('letter-dev'));
    const created = await tidings(['issue', 'create', path.join(dir, 'letter.md'), '--json'], dev);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout.trim().split('\n').at(-1)!)).toMatchObject({ slug: 'letter-dev', created: true, uploaded: 1 });

    // Development: the send goes ahead, and the operator is told why no reader could open its links.
    const sent = await tidings(['send', 'letter-dev', '--list', 'weekly', '--json'], dev);
    expect(sent.code, sent.stderr).toBe(0);
    // In words on stderr, one line each (stdout stays the --json result).
    const warnings = sent.stderr.trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^warning: config PUBLIC_URL: PUBLIC_URL http:\/\/localhost:3999 is a loopback name: .* \[url-unreachable\]$/);
    expect(warnings[1]).toMatch(/^warning: issue letter-dev \(html\): 1 image\(s\) point at http:\/\/localhost:3999, a loopback name, e\.g\. 'http:\/\/localhost:3999\/media\/[0-9a-f]+\.png'.*The issue was compiled with PUBLIC_URL http:\/\/localhost:3999 \(media store images are served under it\): set PUBLIC_URL.* \[url-unreachable\]$/);
    expect(JSON.parse(sent.stdout.trim().split('\n').at(-1)!)).toMatchObject({ issue: 'letter-dev', list: 'weekly' });

    // Production with the same loopback address: refused, nothing created.
    const production = { ...dev, NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:2525' };
    const refused = await tidings(['send', 'letter-dev', '--list', 'monthly'], production);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/issue 'letter-dev' failed preflight, nothing was sent:\n {2}error: config PUBLIC_URL: PUBLIC_URL http:\/\/localhost:3999 is a loopback name.*\[url-unreachable\]\n {2}error: .*1 image\(s\) point at http:\/\/localhost:3999.*\[url-unreachable\]/);

    // Production at its public address: the stored issue's image is still at the development address.
    const live = { ...production, PUBLIC_URL: 'https://news.example.com' };
    const stale = await tidings(['send', 'letter-dev', '--list', 'monthly'], live);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/error: .*: the issue was compiled with PUBLIC_URL http:\/\/localhost:3999 \(this server's: https:\/\/news\.example\.com\), under which its media store images are served: .*tidings issue create <file>.*It was already sent, so the stored issue keeps what its readers received: give the new one another slug.*\[base-changed\]/);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sends');
    expect(rows[0].n).toBe(1);

    // The fix the message gives: under another slug, created with this configuration, it goes out clean.
    await writeFile(path.join(dir, 'letter.md'), await letter('letter-live'));
    const recreated = await tidings(['issue', 'create', path.join(dir, 'letter.md'), '--json'], live);
    expect(recreated.code, recreated.stderr).toBe(0);
    const clean = await tidings(['send', 'letter-live', '--list', 'monthly', '--json'], live);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).toBe('');
    const stored = await pool.query<{ html: string }>("SELECT html FROM issues WHERE slug = 'letter-live'");
    expect(stored.rows[0].html).toMatch(/src="https:\/\/news\.example\.com\/media\/[0-9a-f]+\.png"/);
  });

  it('tidings issue check judges the file as a send from this configuration would', async () => {
    const warned = await tidings(['issue', 'check', SAMPLE, '--json'], dev);
    expect(warned.code).toBe(0);
    const report = JSON.parse(warned.stdout.trim().split('\n').at(-1)!) as { ok: boolean; warnings: { rule: string; severity: string; message: string }[] };
    expect(report.ok).toBe(true);
    expect(report.warnings.map((w) => `${w.rule}/${w.severity}`)).toEqual(['url-unreachable/warning', 'url-unreachable/warning']);
    expect(report.warnings[1].message).toMatch(/^7 image\(s\) point at http:\/\/localhost:3999, a loopback name.*compiled with ASSET_BASE_URL http:\/\/localhost:3999\//);
    const refused = await tidings(['issue', 'check', SAMPLE], { ...dev, NODE_ENV: 'production', SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^error: .*ml-utd-32\.yaml:\d+: 7 image\(s\) point at http:\/\/localhost:3999.*\[url-unreachable\]$/m);
    expect(refused.stdout).toMatch(/not sendable: .*2 error\(s\), 0 warning\(s\)/);
  });
});

describe('POST /api/sends (what the app sends through): the same gate', { timeout: 120_000 }, () => {
  let stack: TestStack;
  let servers: Awaited<ReturnType<typeof startOpsServer>>[] = [];
  let media: string;
  const post = async (server: Awaited<ReturnType<typeof startOpsServer>>, route: string, body: string | object, type = 'application/json') => {
    const res = await fetch(server.url(`/api${route}`), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    stack = await startStack();
    media = await mkdtemp(path.join(tmpdir(), 'tidings-addresses-media-'));
    for (const slug of ['a', 'b', 'c', 'd']) await createList(stack.services.pool, { slug, name: slug });
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await stack?.close();
  });
  const server = async (extra: Record<string, string>) => {
    const s = await startOpsServer(stack.env, { MEDIA_DIR: media, POSTAL_ADDRESS: SAMPLE_LIST_DEFAULTS.postal_address, DEFAULT_NAME: SAMPLE_LIST_DEFAULTS.default_name, ...extra });
    servers.push(s);
    return s;
  };

  it('warns in development (201 with the warnings), refuses in production (422), for the YAML sample', async () => {
    const devServer = await server({});
    const { config } = devServer.services;
    const { issue } = await createIssueFromFile(stack.services.pool, SAMPLE, { assetBaseUrl: config.assetBaseUrl, publicUrl: config.publicUrl });
    const ok = await post(devServer, '/sends', { issue: issue.slug, list: 'a' });
    expect(ok.status).toBe(201);
    expect(ok.body.warnings.map((w: { rule: string }) => w.rule)).toEqual(['url-unreachable', 'url-unreachable']);
    expect(ok.body.warnings[1].message).toMatch(/^\d+ image\(s\) point at http:\/\/127\.0\.0\.1:3999, a loopback address/);

    const prod = await server({ NODE_ENV: 'production' });
    const refused = await post(prod, '/sends', { issue: issue.slug, list: 'b' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('PREFLIGHT_FAILED');
    expect(refused.body.error.findings.map((f: { rule: string; severity: string }) => `${f.rule}/${f.severity}`)).toEqual(['url-unreachable/error', 'url-unreachable/error']);
    // The preflight route says what a send would.
    const preflight = await post(prod, `/issues/${issue.slug}/preflight`, {});
    expect(preflight.body).toMatchObject({ sendable: false, errors: [{ rule: 'url-unreachable' }, { rule: 'url-unreachable' }] });
    // The app's composer shows them while writing, as warnings even in production: they stop the send, not a save.
    const composed = await post(prod, '/issues/preview', await readFile(SAMPLE, 'utf8'), 'application/yaml');
    expect(composed.status).toBe(200);
    expect(composed.body.ok).toBe(true);
    expect(composed.body.warnings.map((w: { rule: string }) => w.rule)).toEqual(['url-unreachable', 'url-unreachable']);
  });

  it('refuses the Markdown sample compiled under another ASSET_BASE_URL, naming both, and sends it once created again', async () => {
    const { issue } = await createIssueFromFile(stack.services.pool, GOLDEN_MARKDOWN_SAMPLE, {
      assetBaseUrl: 'https://assets-staging.example.com/', publicUrl: 'https://staging.example.com', defaults: SAMPLE_LIST_DEFAULTS, slug: () => 'sample-md',
    });
    const live = await server({ NODE_ENV: 'production', PUBLIC_URL: 'https://news.example.com', ASSET_BASE_URL: 'https://cdn.example.com/' });
    const stale = await post(live, '/sends', { issue: 'sample-md', list: 'c' });
    expect(stale.status).toBe(422);
    expect(stale.body.error.findings).toEqual([
      expect.objectContaining({ rule: 'base-changed', message: expect.stringMatching(/^the issue was compiled with ASSET_BASE_URL https:\/\/assets-staging\.example\.com\/ \(this server's: https:\/\/cdn\.example\.com\/\): its images would point at the old address \(e\.g\. 'https:\/\/assets-staging\.example\.com\/img\/[^']+'\)\. Create it again/) }),
    ]);
    expect(stale.body.error.message).toContain('nothing was sent');
    expect((await stack.services.pool.query('SELECT count(*)::int AS n FROM sends WHERE issue_id = $1', [issue.id])).rows[0].n).toBe(0);

    // Created again through the API of the live server (never sent, so it is updated in place), it goes out.
    const source = (await readFile(GOLDEN_MARKDOWN_SAMPLE, 'utf8')).replace(/^/, '---\nslug: sample-md\n---\n');
    const updated = await post(live, '/issues', source, 'text/markdown');
    expect(updated.status, JSON.stringify(updated.body)).toBe(201);
    expect(updated.body).toMatchObject({ slug: 'sample-md', updated: true });
    const sent = await post(live, '/sends', { issue: 'sample-md', list: 'c' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.warnings).toEqual([]);
  });
});
