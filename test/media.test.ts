import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIssue } from '../src/db/issues';
import { createList } from '../src/db/lists';
import { getListIssueDefaults, setListIssueDefaults } from '../src/db/list-issue-defaults';
import { createIssueFromFile } from '../src/issues/create-issue';
import { issueFileOptions } from '../src/issues/issue-file-options';
import { imageTypeOf } from '../src/media/image-bytes';
import { LocalMediaStore, MediaRejected } from '../src/media/media-store';
import { startStack, type TestStack } from './helpers';

const SAMPLE_PNG = path.resolve(__dirname, '../public/img/3ba0c7b9305d6af94d4ab0362f3aeefd.png');
const SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>';

async function freshStore(maxBytes = 10 * 1024 * 1024) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidings-media-'));
  return { dir, store: new LocalMediaStore({ dir, baseUrl: 'https://news.example.com/media/', maxBytes, maxWidth: 1200 }) };
}

describe('the media store', () => {
  it('accepts PNG, JPEG, GIF and WebP by their bytes, names them by content and stores each once', async () => {
    const { dir, store } = await freshStore();
    const png = await readFile(SAMPLE_PNG);
    const formats = { png, jpeg: await sharp(png).jpeg().toBuffer(), gif: await sharp(png).gif().toBuffer(), webp: await sharp(png).webp().toBuffer() };
    const meta = await sharp(png).metadata();
    for (const [type, bytes] of Object.entries(formats)) {
      expect(imageTypeOf(bytes), type).toBe(type);
      const stored = await store.put(bytes);
      expect(stored).toMatchObject({ contentType: `image/${type}`, width: meta.width, height: meta.height, created: true, scaled: false });
      expect(stored.url).toMatch(new RegExp(`^https://news\\.example\\.com/media/[0-9a-f]{32}\\.${type === 'jpeg' ? 'jpg' : type}$`));
    }
    const again = await store.put(png);
    expect(again.created).toBe(false);
    expect((await readdir(dir)).sort()).toHaveLength(4);
  });

  it('scales an image wider than twice the column width down to 1200 px, keeping its shape', async () => {
    const { store } = await freshStore();
    const wide = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: '#3366cc' } }).jpeg().toBuffer();
    const stored = await store.put(wide);
    expect(stored).toMatchObject({ width: 1200, height: 600, scaled: true, contentType: 'image/jpeg' });
    const file = await readFile(store.fileOf(stored.name)!);
    expect((await sharp(file).metadata()).width).toBe(1200);
    expect((await store.put(wide)).url).toBe(stored.url); // stored once
  });

  it('refuses SVG, other files named .png, damaged images and uploads over the limit, storing nothing', async () => {
    const { dir, store } = await freshStore(64 * 1024);
    const refusal = (bytes: Buffer) => store.put(bytes, 'logo.png').then(() => undefined, (err: MediaRejected) => [err.status, err.message]);
    expect(await refusal(Buffer.from(SVG))).toEqual([415, expect.stringMatching(/^logo\.png is an SVG image \(refused: SVG can carry scripts\): only PNG, JPEG, GIF and WebP/)]);
    expect(await refusal(Buffer.from('<html><body>hi</body></html>'))).toEqual([415, expect.stringContaining('is HTML or XML text')]);
    const png = await readFile(SAMPLE_PNG);
    expect(await refusal(png.subarray(0, 200))).toEqual([400, expect.stringMatching(/looks like PNG but cannot be read/)]);
    expect(await refusal(Buffer.concat([png, Buffer.alloc(64 * 1024)]))).toEqual([413, expect.stringMatching(/MB, more than the 0 MB limit \(MEDIA_MAX_BYTES\)/)]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('serves only names it gave out', () => {
    const store = new LocalMediaStore({ dir: '/srv/media', baseUrl: 'https://x.example/media/', maxBytes: 1, maxWidth: 1 });
    expect(store.fileOf('../../etc/passwd')).toBeUndefined();
    expect(store.fileOf('0123456789abcdef0123456789abcdef.svg')).toBeUndefined();
    expect(store.fileOf('0123456789abcdef0123456789abcdef.png')).toBe('/srv/media/0123456789abcdef0123456789abcdef.png');
  });
});

describe('POST /api/media, GET /media/…, and local images of a Markdown issue', () => {
  let stack: TestStack;
  let mediaDir: string;
  const auth = { authorization: 'Bearer test-admin-token-0123456789' };
  beforeAll(async () => {
    mediaDir = await mkdtemp(path.join(tmpdir(), 'tidings-media-'));
    stack = await startStack({ http: true, env: { MEDIA_DIR: mediaDir, ADMIN_TOKEN: 'test-admin-token-0123456789', MEDIA_MAX_BYTES: String(200 * 1024) } });
  });
  afterAll(async () => {
    await stack?.close();
  });
  const upload = (bytes: Buffer, name: string, type: string) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
    return fetch(`${stack.baseUrl}/api/media`, { method: 'POST', headers: auth, body: form });
  };

  it('stores an upload and serves it with its type and a year of caching', async () => {
    const png = await readFile(SAMPLE_PNG);
    const res = await upload(png, 'diagram.png', 'image/png');
    expect(res.status).toBe(201);
    const body = (await res.json()) as { url: string; width: number; created: boolean };
    expect(body.url).toMatch(new RegExp(`^${stack.baseUrl}/media/[0-9a-f]{32}\\.png$`));
    expect(body.created).toBe(true);
    const image = await fetch(body.url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
    expect((await fetch(`${stack.baseUrl}/media/0123456789abcdef0123456789abcdef.png`)).status).toBe(404);
    expect((await fetch(`${stack.baseUrl}/media/..%2F..%2Fpackage.json`)).status).toBe(404);
  });

  it('answers a bad upload with a clear 4xx and stores nothing', async () => {
    const before = await readdir(mediaDir);
    const svg = await upload(Buffer.from(SVG), 'logo.png', 'image/png');
    expect(svg.status).toBe(415);
    expect(((await svg.json()) as { error: { message: string } }).error.message).toMatch(/SVG can carry scripts/);
    const big = await upload(Buffer.alloc(300 * 1024, 1), 'big.png', 'image/png');
    expect(big.status).toBe(413);
    const none = await fetch(`${stack.baseUrl}/api/media`, { method: 'POST', headers: auth, body: new FormData() });
    expect(none.status).toBe(400);
    const unauthorised = await fetch(`${stack.baseUrl}/api/media`, { method: 'POST', body: new FormData() });
    expect(unauthorised.status).toBe(401);
    expect(await readdir(mediaDir)).toEqual(before);
  });

  it('issue create uploads the local images next to a Markdown file, rewrites their URLs and sizes them from the file; the list gives what the file leaves out', async () => {
    const { pool } = stack.services;
    await createList(pool, { slug: 'letters', name: 'Letters' });
    await setListIssueDefaults(pool, 'letters', { template: 'letter', postal_address: '14 Mill Lane, Bristol', default_name: 'friend' });
    expect(await getListIssueDefaults(pool, 'letters')).toEqual({ template: 'letter', postal_address: '14 Mill Lane, Bristol', default_name: 'friend' });
    const dir = await mkdtemp(path.join(tmpdir(), 'tidings-issue-'));
    await mkdir(path.join(dir, 'img'));
    const other = path.resolve(__dirname, '../public/img/1cf571910f7fbaa6c93c199596c861d2.png');
    await copyFile(other, path.join(dir, 'img', 'diagram.png'));
    await writeFile(path.join(dir, 'note.md'), '# A short note\n\nHello.\n\n![The anatomy of production ML](img/diagram.png)\n\nBye.\n');
    const options = await issueFileOptions(stack.config, pool, 'letters');
    const result = await createIssueFromFile(pool, path.join(dir, 'note.md'), options);
    expect(result.uploaded).toBe(1);
    const issue = await getIssue(pool, result.issue.id);
    expect(issue.template).toBe('letter');
    const meta = await sharp(other).metadata();
    expect(issue.html).toMatch(new RegExp(`<img alt="The anatomy of production ML" src="${stack.baseUrl}/media/[0-9a-f]{32}\\.png"[^>]* width="${Math.min(meta.width!, 536)}"`)); // the letter's column: 600 px less 2 × 32 px
    expect(issue.html).not.toContain('img/diagram.png');
    expect(issue.html).toContain('14 Mill Lane, Bristol');
    expect(issue.text).toContain('Dear friend,'.replace('friend', '%%tidings:name%%'));

    await writeFile(path.join(dir, 'broken.md'), '# Broken\n\nText.\n\n![A chart](img/chart.png)\n');
    const before = await readdir(mediaDir);
    await expect(createIssueFromFile(pool, path.join(dir, 'broken.md'), options)).rejects.toThrow(/broken\.md:5: image 'img\/chart\.png' does not exist/);
    expect(await readdir(mediaDir)).toEqual(before);
  });
});
