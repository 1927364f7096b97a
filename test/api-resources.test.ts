import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type TestStack } from './helpers';
import { ADMIN_TOKEN, startOpsServer } from './ops-seed';

let stack: TestStack;
let server: Awaited<ReturnType<typeof startOpsServer>>;
beforeAll(async () => {
  stack = await startStack({ workers: true });
  server = await startOpsServer(stack.env);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await stack?.close();
});

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: T; text: string; headers: Headers }> {
  const res = await fetch(server.url(path), {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

describe('lists', () => {
  it('create, read, update, delete', async () => {
    expect((await api('POST', '/api/lists', { slug: 'api-weekly', name: 'API weekly' })).status).toBe(201);
    expect((await api('POST', '/api/lists', { slug: 'api-weekly', name: 'again' })).body).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    const patched = await api('PATCH', '/api/lists/api-weekly', { name: 'API Weekly 周刊', doubleOptIn: true });
    expect(patched.body).toMatchObject({ slug: 'api-weekly', name: 'API Weekly 周刊', doubleOptIn: true, subscriptions: { confirmed: 0 } });
    expect((await api<{ lists: unknown[] }>('GET', '/api/lists')).body.lists).toHaveLength(1);
    expect((await api('DELETE', '/api/lists/api-weekly')).status).toBe(204);
    expect((await api('GET', '/api/lists/api-weekly')).status).toBe(404);
  });
});

describe("a list's issue defaults", () => {
  it('reads and changes them (template, postal address, default name; empty clears), refusing a template that does not exist', async () => {
    await api('POST', '/api/lists', { slug: 'api-defaults', name: 'Defaults' });
    expect((await api('GET', '/api/lists/api-defaults/issue-defaults')).body).toEqual({ template: null, postalAddress: null, defaultName: null });
    const set = await api('PUT', '/api/lists/api-defaults/issue-defaults', { template: 'letter', postalAddress: ' 1 Harbour Road, Leith ', defaultName: '读者' });
    expect(set.body).toEqual({ template: 'letter', postalAddress: '1 Harbour Road, Leith', defaultName: '读者' });
    expect((await api('PUT', '/api/lists/api-defaults/issue-defaults', { postalAddress: '' })).body).toEqual({ template: 'letter', postalAddress: null, defaultName: '读者' });
    const bad = await api<{ error: { code: string; message: string } }>('PUT', '/api/lists/api-defaults/issue-defaults', { template: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/template 'nope' is not a template set/);
    expect((await api('GET', '/api/lists/nowhere/issue-defaults')).status).toBe(404);
  });
});

describe('subscribers, imports and export', () => {
  it('imports a streamed CSV upload with a rejection report and progress, then searches, updates, exports and deletes', async () => {
    await api('POST', '/api/lists', { slug: 'people', name: 'People' });
    const csv = 'email,name,city,age:number\nada@example.com,Ada,London,36\nbad,Bad,Nowhere,1\ngrace@example.com,Grace,New York,old\nlin@example.com,林,北京,29\n';
    // A dry run first: nothing written, the first rows as they map.
    const dry = await api<{ wouldImport: number; rejectedCount: number; columns: string[]; sample: Array<{ line: number; email: string; attributes: Record<string, unknown> }> }>('POST', '/api/lists/people/imports/dry-run?sample=2', csv, 'text/csv');
    expect(dry.body).toMatchObject({ wouldImport: 2, rejectedCount: 2, columns: ['email', 'name', 'city', 'age:number'] });
    expect(dry.body.sample).toEqual([
      { line: 2, email: 'ada@example.com', name: 'Ada', status: 'confirmed', sourceStatus: null, attributes: { city: 'London', age: 36 } },
      { line: 5, email: 'lin@example.com', name: '林', status: 'confirmed', sourceStatus: null, attributes: { city: '北京', age: 29 } },
    ]);
    const imported = await api<{ id: number; imported: number; rejected: number; status: string; firstRejected: unknown[] }>('POST', '/api/lists/people/imports?status=confirmed', csv, 'text/csv');
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ status: 'finished', imported: 2, rejected: 2, rowsRead: 4 });
    expect(imported.body.firstRejected).toEqual([
      { line: 3, reason: "invalid email address 'bad': it has no @" },
      { line: 4, reason: "column 'age' expects a number, got 'old'" },
    ]);
    const asJson = await api('POST', '/api/lists/people/imports', { email: 'x@example.com' });
    expect(asJson.status).toBe(415);
    expect(asJson.body).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA', field: 'body' } });
    const rejections = await api<{ rejections: unknown[] }>('GET', `/api/imports/${imported.body.id}/rejections`);
    expect(rejections.body.rejections).toHaveLength(2);

    // Two steps: the job id first (to poll progress), then the upload; resume after the checkpoint skips nothing new.
    const job = await api<{ id: number }>('POST', '/api/imports', { list: 'people', status: 'unconfirmed' });
    const upload = await api('PUT', `/api/imports/${job.body.id}/csv`, 'email\nzoe@example.com\n', 'text/csv');
    expect(upload.body).toMatchObject({ imported: 1, status: 'finished' });
    expect((await api('PUT', `/api/imports/${job.body.id}/csv`, 'email\nzoe@example.com\n', 'text/csv')).status).toBe(409);
    expect((await api('GET', `/api/imports/${job.body.id}`)).body).toMatchObject({ imported: 1, checkpointLine: 2 });

    const byEmail = await api<{ subscribers: Array<{ id: number; attributes: unknown; subscriptions: unknown[] }> }>('GET', '/api/subscribers?email=ADA@example.com');
    expect(byEmail.body.subscribers).toHaveLength(1);
    expect(byEmail.body.subscribers[0]).toMatchObject({ attributes: { city: 'London', age: 36 }, subscriptions: [{ list: 'people', status: 'confirmed' }] });
    const byAttribute = await api<{ subscribers: Array<{ email: string }> }>('GET', `/api/subscribers?attribute=${encodeURIComponent('city=北京')}`);
    expect(byAttribute.body.subscribers.map((s) => s.email)).toEqual(['lin@example.com']);
    const id = byEmail.body.subscribers[0].id;
    const patched = await api('PATCH', `/api/subscribers/${id}`, { attributes: { plan: 'pro' } });
    expect(patched.body).toMatchObject({ attributes: { city: 'London', age: 36, plan: 'pro' } });

    const created = await api<{ id: number }>('POST', '/api/subscribers', { email: 'new@example.com', name: 'New', attributes: { vip: true }, lists: [{ slug: 'people' }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'new@example.com', subscriptions: [{ list: 'people', status: 'confirmed' }] });

    const exported = await fetch(server.url('/api/lists/people/export?status=confirmed'), { headers: auth });
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await exported.text()).trim().split('\n');
    expect(lines[0]).toBe('email,name,status,subscribed_at,attributes:json');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['ada@example.com', 'lin@example.com', 'new@example.com']);
    const jsonl = await fetch(server.url('/api/lists/people/export?format=jsonl'), { headers: auth });
    expect((await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l).email)).toContain('zoe@example.com');

    expect((await api('DELETE', `/api/subscribers/${created.body.id}`)).status).toBe(204);
    expect((await api('GET', `/api/subscribers/${created.body.id}`)).status).toBe(404);
  });
});

describe('issues, sends, statistics and suppressions', () => {
  it('creates an issue from content, sends it, controls a scheduled send, and reads statistics', async () => {
    const source = readFileSync(new URL('../content/ml-utd-32.yaml', import.meta.url), 'utf8').replace(/^slug: .*$/m, 'slug: api-issue');
    const issue = await api<{ id: number; slug: string; created: boolean }>('POST', '/api/issues', source, 'application/yaml');
    expect(issue.status).toBe(201);
    expect(issue.body).toMatchObject({ slug: 'api-issue', created: true });
    const html = await fetch(server.url('/api/issues/api-issue/html'), { headers: auth });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain('OpenLineage');
    expect(await (await fetch(server.url(`/api/issues/${issue.body.id}/text`), { headers: auth })).text()).toContain('OpenLineage');
    expect((await api('POST', '/api/issues/api-issue/preflight')).body).toMatchObject({ sendable: true, errors: [] });
    const broken = await api('POST', '/api/issues', 'slug: x\nsubject: [unclosed', 'application/yaml');
    expect(broken.status).toBe(422);
    expect(broken.body).toMatchObject({ error: { code: 'CONTENT_INVALID' } });

    await api('POST', '/api/lists', { slug: 'sendto', name: 'Send to' });
    await api('POST', '/api/lists/sendto/imports', 'email,name\none@example.com,One\ntwo@example.com,Two\nthree@example.com,Three\n', 'text/csv');
    await api('POST', '/api/suppressions', { email: 'three@example.com', note: 'asked by phone' });
    const send = await api<{ id: number }>('POST', '/api/sends', { issue: 'api-issue', list: 'sendto' });
    expect(send.status).toBe(201);
    const finished = await waitFor(async () => {
      const s = await api<{ status: string; counts: Record<string, number> }>('GET', `/api/sends/${send.body.id}`);
      return s.body.status === 'finished' && s.body;
    });
    // The suppressed address is not even a recipient.
    expect(finished.counts).toMatchObject({ sent: 2, total: 2 });
    expect(stack.smtp.messages.map((m) => m.to).flat().sort()).toEqual(['one@example.com', 'two@example.com']);
    const stats = await api<{ deliveries: Record<string, number>; opens: unknown }>('GET', `/api/sends/${send.body.id}/stats`);
    expect(stats.body).toMatchObject({ deliveries: { sent: 2 }, opens: { unique: 0 }, send: { issue: { slug: 'api-issue' }, list: { slug: 'sendto' } } });
    const listed = await api<{ sends: Array<{ id: number; counts: Record<string, number> }> }>('GET', '/api/sends');
    expect(listed.body.sends[0]).toMatchObject({ id: send.body.id, counts: { sent: 2 } });

    // A scheduled send can be paused, resumed and cancelled; a cancelled send cannot be paused.
    const later = await api<{ id: number; status: string }>('POST', '/api/sends', { issue: 'api-issue', list: 'sendto', again: true, at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(later.body.status).toBe('scheduled');
    expect((await api('POST', `/api/sends/${later.body.id}/pause`, { reason: 'wrong day' })).body).toMatchObject({ status: 'paused', statusReason: 'wrong day' });
    expect((await api('POST', `/api/sends/${later.body.id}/resume`)).status).toBe(200);
    expect((await api('POST', `/api/sends/${later.body.id}/cancel`)).body).toMatchObject({ status: 'cancelled' });
    const refused = await api('POST', `/api/sends/${later.body.id}/pause`, {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'SEND_STATE' } });
    expect((await api('POST', `/api/sends/${send.body.id}/retry-failed`)).body).toMatchObject({ retried: 0 });
    expect((await api('POST', '/api/sends', { issue: 'no-such-issue', list: 'sendto' })).status).toBe(404);
  }, 60_000);

  it('views and removes suppressions', async () => {
    expect((await api('POST', '/api/suppressions', { email: 'Gone@Example.com' })).body).toMatchObject({ email: 'Gone@example.com', reason: 'manual', source: 'api' });
    expect((await api<{ suppressions: unknown[] }>('GET', '/api/suppressions?search=gone')).body.suppressions).toHaveLength(1);
    expect((await api('GET', '/api/suppressions/gone@example.com')).status).toBe(200);
    expect((await api('DELETE', '/api/suppressions/gone@example.com')).status).toBe(204);
    expect((await api('DELETE', '/api/suppressions/gone@example.com')).status).toBe(404);
    expect((await api('POST', '/api/suppressions', { email: 'not an address' })).body).toMatchObject({ error: { field: 'body.email' } });
    expect((await api<{ alerts: unknown[] }>('GET', '/api/alerts')).body.alerts).toEqual([]);
  });
});
