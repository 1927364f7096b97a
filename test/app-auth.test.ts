import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, PUBLIC_API_ROUTES } from '../src/http/api';
import { auditAction, requiredRole } from '../src/http/api/access';
import { startStack, type TestStack } from './helpers';
import { createOperator, login } from './app-operator-helpers';
import { ADMIN_TOKEN, startOpsServer } from './ops-seed';

let stack: TestStack;
let server: Awaited<ReturnType<typeof startOpsServer>>;
let base: string;
let owner: { email: string; password: string; id: number };
let editor: { email: string; password: string; id: number };
let viewer: { email: string; password: string; id: number };
beforeAll(async () => {
  stack = await startStack();
  server = await startOpsServer(stack.env);
  base = server.url('');
  owner = await createOperator(stack.services.pool, 'owner@example.com', 'editor');
  editor = await createOperator(stack.services.pool, 'editor@example.com', 'editor');
  viewer = await createOperator(stack.services.pool, 'viewer@example.com', 'viewer');
  await stack.services.pool.query(`INSERT INTO lists (slug, name) VALUES ('weekly', 'Weekly')`);
});
afterAll(async () => {
  await server?.close();
  await stack?.close();
});

/** A concrete URL for a route pattern (`/sends/:id` → `/sends/1`). */
const concrete = (path: string) => path.replace(/:id\b/g, '1').replace(/:slug\b/g, 'weekly').replace(/:ref\b/g, 'x').replace(/:email\b/g, 'a%40example.com');

describe('operator accounts and sessions', () => {
  it('makes the first operator an owner whatever role was asked for', async () => {
    const { rows } = await stack.services.pool.query('SELECT email, role FROM operators ORDER BY id');
    expect(rows).toEqual([
      { email: 'owner@example.com', role: 'owner' },
      { email: 'editor@example.com', role: 'editor' },
      { email: 'viewer@example.com', role: 'viewer' },
    ]);
    const { rows: hashes } = await stack.services.pool.query<{ password_hash: string }>('SELECT password_hash FROM operators');
    for (const h of hashes) expect(h.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('sets an HttpOnly, SameSite session cookie and stores only its digest', async () => {
    const res = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'OWNER@example.com', password: owner.password }) });
    expect(res.status).toBe(201);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^tidings_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    const id = /tidings_session=([^;]+)/.exec(setCookie)![1];
    const { rows } = await stack.services.pool.query('SELECT id_hash FROM operator_sessions');
    expect(rows.map((r) => r.id_hash)).not.toContain(id);
    const me = await fetch(`${base}/api/session`, { headers: { cookie: `tidings_session=${id}` } });
    expect(((await me.json()) as { operator: { email: string } }).operator.email).toBe('owner@example.com');
  });

  it('marks the cookie Secure and __Host- when PUBLIC_URL is https', async () => {
    const https = await startOpsServer(stack.env, { PUBLIC_URL: 'https://news.example.com' });
    try {
      const res = await fetch(https.url('/api/session'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: editor.email, password: editor.password }) });
      expect(res.headers.get('set-cookie')).toMatch(/^__Host-tidings_session=.*; Secure/);
    } finally {
      await https.close();
    }
  });

  it('answers a wrong password and an unknown address alike, and slows guessing per account and per address', async () => {
    const wrong = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: viewer.email, password: 'not-the-password' }) });
    const unknown = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password' }) });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.text()).toBe(await unknown.text());
    // Four more failures make five for this account: the sixth attempt waits, even with the right password.
    for (let i = 0; i < 4; i++) expect((await login(base, viewer.email, `wrong-${i}`)).status).toBe(401);
    const blocked = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: viewer.email, password: viewer.password }) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    await stack.services.redis.del(`${stack.config.queuePrefix}:rl:login-account:${viewer.email}`);
    expect((await login(base, viewer.email, viewer.password)).status).toBe(201);
    const failures = await stack.services.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'session.login_failed'`);
    expect(failures.rows[0].n).toBe(6);
  });

  it('refuses a login posted from another site', async () => {
    const res = await fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body: JSON.stringify({ email: editor.email, password: editor.password }) });
    expect(res.status).toBe(403);
  });

  it('logs out one session, and every session with logout everywhere', async () => {
    const a = await login(base, editor.email, editor.password);
    const b = await login(base, editor.email, editor.password);
    const out = await fetch(`${base}/api/session`, { method: 'DELETE', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
    expect(out.status).toBe(204);
    expect((await fetch(`${base}/api/lists`, { headers: { cookie: a.cookie } })).status).toBe(401);
    expect((await fetch(`${base}/api/lists`, { headers: { cookie: b.cookie } })).status).toBe(200);
    const c = await login(base, editor.email, editor.password);
    const all = await fetch(`${base}/api/session/logout-everywhere`, { method: 'POST', headers: { cookie: c.cookie, 'x-csrf-token': c.csrf, 'content-type': 'application/json' }, body: '{}' });
    expect(((await all.json()) as { ended: number }).ended).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${base}/api/lists`, { headers: { cookie: b.cookie } })).status).toBe(401);
    expect((await fetch(`${base}/api/lists`, { headers: { cookie: c.cookie } })).status).toBe(401);
  });

  it('sets a password through a one-time link', async () => {
    const { createOperatorAccount } = await import('../src/auth/accounts');
    const created = await createOperatorAccount(stack.services.pool, base, { email: 'new@example.com', role: 'viewer' });
    expect(created.link).toMatch(new RegExp(`^${base}/admin/set-password#[A-Za-z0-9_-]{43}$`));
    const token = created.link!.split('#')[1];
    const short = await fetch(`${base}/api/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: 'short' }) });
    expect(short.status).toBe(400);
    const ok = await fetch(`${base}/api/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: 'a good long password' }) });
    expect(ok.status).toBe(200);
    const again = await fetch(`${base}/api/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: 'another long password' }) });
    expect(again.status).toBe(400);
    expect((await login(base, 'new@example.com', 'a good long password')).status).toBe(201);
  });
});

describe('every admin route and data endpoint refuses without a session', () => {
  it('answers 401 on every API route without a credential', async () => {
    for (const r of API_ROUTES) {
      const res = await fetch(`${base}/api${concrete(r.path)}`, { method: r.method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: r.method === 'get' ? undefined : '{}' });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
    }
    expect(PUBLIC_API_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual(['post /session', 'post /password']);
  });

  it('sends every app page to the login page, keeping only a same-app path to come back to', async () => {
    for (const path of ['/admin', '/admin/', '/admin/subscribers', '/admin/sends/1', '/admin/settings']) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    expect((await fetch(`${base}/admin/events`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    const loginPage = await fetch(`${base}/admin/login`);
    expect(loginPage.status).toBe(200);
    expect(await loginPage.text()).not.toMatch(/owner@example\.com/);
  });

  it('cannot be framed by another site', async () => {
    for (const path of ['/admin/login', '/api/lists']) {
      const res = await fetch(`${base}${path}`);
      expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});

describe('CSRF and roles', () => {
  it('refuses a state change with the session cookie but without the CSRF token', async () => {
    const s = await login(base, owner.email, owner.password);
    const headers = { cookie: s.cookie, 'content-type': 'application/json' };
    const none = await fetch(`${base}/api/lists`, { method: 'POST', headers, body: JSON.stringify({ slug: 'csrf', name: 'CSRF' }) });
    expect(none.status).toBe(403);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('CSRF_FAILED');
    const wrong = await fetch(`${base}/api/lists`, { method: 'POST', headers: { ...headers, 'x-csrf-token': s.csrf.slice(0, -1) + 'x' }, body: JSON.stringify({ slug: 'csrf', name: 'CSRF' }) });
    expect(wrong.status).toBe(403);
    const cross = await fetch(`${base}/api/lists`, { method: 'POST', headers: { ...headers, 'x-csrf-token': s.csrf, 'sec-fetch-site': 'cross-site' }, body: JSON.stringify({ slug: 'csrf', name: 'CSRF' }) });
    expect(cross.status).toBe(403);
    expect((await stack.services.pool.query(`SELECT count(*)::int AS n FROM lists WHERE slug = 'csrf'`)).rows[0].n).toBe(0);
    const ok = await fetch(`${base}/api/lists`, { method: 'POST', headers: { ...headers, 'x-csrf-token': s.csrf }, body: JSON.stringify({ slug: 'csrf', name: 'CSRF' }) });
    expect(ok.status).toBe(201);
  });

  it('lets a viewer read but not send, change or manage', async () => {
    await stack.services.redis.del(`${stack.config.queuePrefix}:rl:login-account:${viewer.email}`);
    const s = await login(base, viewer.email, viewer.password);
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' };
    expect((await fetch(`${base}/api/lists`, { headers })).status).toBe(200);
    const send = await fetch(`${base}/api/sends`, { method: 'POST', headers, body: JSON.stringify({ issue: 'x', list: 'weekly' }) });
    expect(send.status).toBe(403);
    expect(((await send.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await fetch(`${base}/api/sends/1/pause`, { method: 'POST', headers, body: '{}' })).status).toBe(403);
    expect((await fetch(`${base}/api/operators`, { headers })).status).toBe(403);
    expect((await fetch(`${base}/api/settings`, { headers })).status).toBe(403);
    expect((await stack.services.pool.query('SELECT count(*)::int AS n FROM sends')).rows[0].n).toBe(0);
  });

  it('keeps owners-only routes from editors', async () => {
    const s = await login(base, editor.email, editor.password);
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' };
    expect((await fetch(`${base}/api/operators`, { method: 'POST', headers, body: JSON.stringify({ email: 'x@example.com' }) })).status).toBe(403);
    expect((await fetch(`${base}/api/lists`, { method: 'POST', headers, body: JSON.stringify({ slug: 'by-editor', name: 'By editor' }) })).status).toBe(201);
  });

  it('gives every route a role: reads for viewers, changes for editors, people and settings for owners', () => {
    const owners = API_ROUTES.filter((r) => requiredRole(r) === 'owner').map((r) => `${r.method} ${r.path}`);
    expect(owners).toEqual(expect.arrayContaining(['get /operators', 'post /operators', 'delete /operators/:id', 'get /settings']));
    for (const r of API_ROUTES) if (r.method !== 'get' && r.audit !== false && !r.path.startsWith('/session') && !r.path.startsWith('/tokens')) expect(['editor', 'owner'], `${r.method} ${r.path}`).toContain(requiredRole(r));
    expect(auditAction({ method: 'post', path: '/sends/:id/pause', tag: 'sends' })).toBe('sends.pause');
    expect(auditAction({ method: 'patch', path: '/lists/:slug', tag: 'lists' })).toBe('lists.update');
    expect(auditAction({ method: 'post', path: '/lists', tag: 'lists' })).toBe('lists.create');
  });

  it('accepts per-operator API tokens with their role, and still ADMIN_TOKEN as an owner', async () => {
    const s = await login(base, viewer.email, viewer.password);
    const created = await fetch(`${base}/api/tokens`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'script' }) });
    const { token } = (await created.json()) as { token: string };
    expect(token).toMatch(/^tid_/);
    const bearer = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await fetch(`${base}/api/lists`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${base}/api/lists`, { method: 'POST', headers: bearer, body: JSON.stringify({ slug: 'tok', name: 'Tok' }) })).status).toBe(403);
    expect((await fetch(`${base}/api/lists`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect((await fetch(`${base}/api/operators`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });

  it('writes who did what to the audit log', async () => {
    const { rows } = await stack.services.pool.query<{ actor: string; action: string; target: string }>(`SELECT actor, action, target FROM audit_log WHERE action = 'lists.create' ORDER BY id`);
    expect(rows.map((r) => r.actor)).toEqual(['owner@example.com', 'editor@example.com']);
    expect(rows[0].target).toMatch(/^id=\d+$/);
    const s = await login(base, owner.email, owner.password);
    const res = await fetch(`${base}/api/audit?action=lists.`, { headers: { cookie: s.cookie } });
    const body = (await res.json()) as { entries: Array<{ action: string; details: Record<string, unknown> }> };
    expect(body.entries[0]).toMatchObject({ action: 'lists.create', details: { slug: 'by-editor', name: 'By editor' } });
    const secrets = await stack.services.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE details::text ILIKE '%password%'`);
    expect(secrets.rows[0].n).toBe(0);
  });
});
