import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, PUBLIC_API_ROUTES } from '../src/http/api';
import { startStack, type TestStack } from './helpers';
import { ADMIN_TOKEN, startOpsServer } from './ops-seed';

let stack: TestStack;
let server: Awaited<ReturnType<typeof startOpsServer>>;
beforeAll(async () => {
  stack = await startStack();
  server = await startOpsServer(stack.env);
});
afterAll(async () => {
  await server?.close();
  await stack?.close();
});

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('admin API authentication', () => {
  it('answers every /api path, existing or not, with the same 401 without the right token', async () => {
    const bodies = new Set<string>();
    for (const [path, headers] of [
      ['/api/lists', {}],
      ['/api/openapi.json', {}],
      ['/api/no-such-route', {}],
      ['/api/lists', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
      ['/api/lists', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
      ['/api/lists', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
      ['/api/sends/1/stats', { authorization: 'Bearer' }],
    ] as const) {
      const res = await fetch(server.url(path), { headers });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
    const post = await fetch(server.url('/api/lists'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"slug":"x","name":"X"}' });
    expect(post.status).toBe(401);
    expect((await stack.services.pool.query('SELECT count(*)::int AS n FROM lists')).rows[0].n).toBe(0);
  });

  it('lets the right token in', async () => {
    expect((await fetch(server.url('/api/lists'), { headers: auth })).status).toBe(200);
    const unknown = await fetch(server.url('/api/no-such-route'), { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses everything when ADMIN_TOKEN is not configured', async () => {
    const open = await startOpsServer(stack.env, { ADMIN_TOKEN: '' });
    try {
      expect((await fetch(open.url('/api/lists'), { headers: { authorization: 'Bearer ' } })).status).toBe(401);
      expect((await fetch(open.url('/api/lists'), { headers: { authorization: 'Bearer undefined' } })).status).toBe(401);
      expect((await fetch(open.url('/admin/queues'), { headers: { authorization: `Basic ${Buffer.from('admin:').toString('base64')}` } })).status).toBe(401);
      expect((await fetch(open.url('/admin'), { redirect: 'manual' })).status).toBe(303);
    } finally {
      await open.close();
    }
  });
});

describe('OpenAPI document', () => {
  it('is generated from the validation schemas and lists every route', async () => {
    const res = await fetch(server.url('/api/openapi.json'), { headers: auth });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, { pattern?: string }>; required: string[] } }> }; parameters: Array<{ name: string; in: string }> }>> };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toHaveLength(API_ROUTES.length + PUBLIC_API_ROUTES.length);
    expect(operations).toEqual(expect.arrayContaining(['GET /api/lists', 'POST /api/sends', 'GET /api/sends/{id}/stats', 'DELETE /api/suppressions/{email}', 'PUT /api/imports/{id}/csv']));
    const createList = doc.paths['/api/lists'].post.requestBody!.content['application/json'].schema;
    expect(createList.required).toEqual(['slug', 'name']);
    // The pattern the document shows is the one that validates.
    expect(createList.properties.slug.pattern).toBe('^[a-z0-9][a-z0-9-]{0,62}$');
    expect(doc.paths['/api/sends/{id}/stats'].get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
  });
});

describe('validation errors', () => {
  it('name the field and carry a stable code', async () => {
    const post = (path: string, body: unknown) =>
      fetch(server.url(path), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post('/api/lists', { slug: 'Bad Slug', name: 'x' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'INVALID_INPUT', field: 'body.slug', message: 'body.slug: must be 1-63 lowercase letters, digits and dashes' } });
    const missing = await post('/api/subscribers', { name: 'no address' });
    expect(await missing.json()).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'body.email' } });
    const notJson = await fetch(server.url('/api/lists'), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"slug":' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    const badId = await fetch(server.url('/api/sends/abc'), { headers: auth });
    expect(await badId.json()).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'params.id' } });
    const noSend = await fetch(server.url('/api/sends/999999'), { headers: auth });
    expect(noSend.status).toBe(404);
    expect(await noSend.json()).toEqual({ error: { code: 'NOT_FOUND', message: "send '999999' does not exist" } });
  });
});
