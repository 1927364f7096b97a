import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import type { Services } from '../src/app/services';
import { API_ROUTES, PUBLIC_API_ROUTES } from '../src/http/api';
import { mountRoutes, route } from '../src/http/api/route';

// Issue 10 point 12: an API route takes the services it uses (`uses`), not the whole Services object.

describe('API route dependencies', () => {
  it('every route names the services it uses', () => {
    const all = [...PUBLIC_API_ROUTES, ...API_ROUTES];
    expect(all.filter((r) => !r.uses).map((r) => `${r.method.toUpperCase()} ${r.path}`)).toEqual([]);
    for (const r of all) expect(r.uses ?? [], `${r.method} ${r.path}`).not.toContain('close');
    // Most routes need the database alone.
    expect(all.filter((r) => r.uses?.length === 1 && r.uses[0] === 'pool').length).toBeGreaterThan(all.length / 2);
  });

  it('hands a handler only the services its route names', async () => {
    const seen: string[][] = [];
    const probe = route({
      method: 'get', path: '/probe', tag: 'test', summary: 'probe', role: 'public', audit: false,
      uses: ['pool', 'config'],
      handler: async ({ services }) => {
        seen.push(Object.keys(services).sort());
        return { ok: true };
      },
    });
    const everything = route({
      method: 'get', path: '/everything', tag: 'test', summary: 'everything', role: 'public', audit: false,
      handler: async ({ services }) => {
        seen.push(Object.keys(services).sort());
        return { ok: true };
      },
    });
    // Plain fakes: nothing here is called, only handed over.
    const fake = { config: {}, log: {}, pool: {}, redis: {}, queues: {}, links: {}, dkim: undefined, events: {}, background: {}, readerMail: {}, close: async () => {} };
    const router = express.Router();
    mountRoutes(router, [probe, everything], fake as unknown as Services);
    const app = express().use(router);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/probe`)).status).toBe(200);
      expect((await fetch(`${base}/everything`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen[0]).toEqual(['config', 'pool']);
    expect(seen[1]).toEqual(Object.keys(fake).sort());
  });
});
