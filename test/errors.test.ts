import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { ERRORS, exitCodeOf, httpStatusOf, NotFoundError, TidingsError, type ErrorCode } from '../src/errors';
import { createIssueFromFile } from '../src/issues/create-issue';
import { opsServerPerSuite } from './helpers';
import { ADMIN_TOKEN } from './ops-seed';

const root = path.resolve(import.meta.dirname, '..');

describe('the error catalogue (src/errors.ts)', () => {
  it('gives every code an HTTP status, a CLI exit code and a meaning', () => {
    for (const [code, entry] of Object.entries(ERRORS)) {
      expect(Number.isInteger(entry.status) && entry.status >= 400 && entry.status <= 599, `${code}: HTTP status`).toBe(true);
      expect(Number.isInteger(entry.exitCode) && entry.exitCode >= 1 && entry.exitCode <= 125, `${code}: exit code`).toBe(true);
      expect(entry.means.length, `${code}: meaning`).toBeGreaterThan(10);
    }
    expect(httpStatusOf(new NotFoundError('list', 'x'))).toBe(404);
    expect(httpStatusOf(new Error('unexpected'))).toBe(500);
    expect(exitCodeOf(new TidingsError('CONFIG_INVALID', 'x'))).toBe(2);
    expect(exitCodeOf(new TidingsError('PREFLIGHT_FAILED', 'x'))).toBe(1);
  });

  it('is what the README lists: exactly these codes, with their status and exit code', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Errors');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    const catalogue = Object.entries(ERRORS).map(([code, e]) => [code, e.status, e.exitCode]);
    expect(rows.sort()).toEqual(catalogue.sort());
  });

  it('is the only place the API takes statuses from: no error code is answered with another status in src/http', () => {
    // ApiError takes a code and no status; a literal status beside a literal code must agree with the catalogue.
    const files = ['src/http/api/route.ts', 'src/http/api/auth.ts', 'src/bounces/webhook-routes.ts'];
    for (const file of files) {
      const text = readFileSync(path.join(root, file), 'utf8');
      expect(text, file).not.toMatch(/new ApiError\(\d/);
      for (const m of text.matchAll(/status\((\d{3})\)[^;]*?code: '([A-Z_]+)'/g)) {
        expect(ERRORS[m[2] as ErrorCode]?.status, `${file}: ${m[2]} answered with ${m[1]}`).toBe(Number(m[1]));
      }
    }
  });
});

describe('POST /api/sends for an issue that fails preflight', () => {
  // The issue is created under the ASSET_BASE_URL of the server that sends it (preflight refuses another).
  const suite = opsServerPerSuite({ env: { ASSET_BASE_URL: 'https://assets.example.com/' } });

  it('answers 422 PREFLIGHT_FAILED with the findings, and creates no send', async () => {
    const { pool } = suite.stack.services;
    await createList(pool, { slug: 'weekly', name: 'Weekly' });
    // It renders (so it is stored), but its image has no alt text: preflight refuses to send it.
    const { issue } = await createIssueFromFile(pool, path.join(root, 'test/fixtures/preflight/image-alt.yaml'), { assetBaseUrl: 'https://assets.example.com/' });
    const res = await fetch(suite.server.url('/api/sends'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issue: issue.slug, list: 'weekly' }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; findings: Array<{ rule: string; message: string }> } };
    expect(body.error.code).toBe('PREFLIGHT_FAILED');
    expect(body.error.message).toMatch(/failed preflight, nothing was sent/);
    expect(body.error.findings).toEqual([expect.objectContaining({ message: expect.stringMatching(/no alt text/) })]);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM sends');
    expect(rows[0].n).toBe(0);
  });
});
