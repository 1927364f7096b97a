import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { listIssues } from '../../db/issue-list';
import { getIssue } from '../../db/issues';
import { getListBySlug } from '../../db/lists';
import { createIssueFromFile } from '../../issues/create-issue';
import { issueFileOptions } from '../../issues/issue-file-options';
import { preflightStoredIssue } from '../../issues/preflight-gate';
import { neutralHtml } from '../../render/web-version';
import { ApiError, route } from './route';
import * as s from './schemas';

const MAX_CONTENT_BYTES = 2 * 1024 * 1024;
const byRef = z.object({ ref: z.string().min(1).max(200).meta({ example: 'ml-utd-32' }) });
const issue = z
  .object({ id: z.number(), slug: z.string(), subject: z.string(), preheader: z.string(), template: z.string(), htmlBytes: z.number(), textBytes: z.number() })
  .meta({ id: 'Issue' });

const summary = (i: { id: number; slug: string; subject: string; preheader: string; template: string; html: string; text: string }) => ({
  id: i.id,
  slug: i.slug,
  subject: i.subject,
  preheader: i.preheader,
  template: i.template,
  htmlBytes: Buffer.byteLength(i.html),
  textBytes: Buffer.byteLength(i.text),
});

const issueWithSends = z
  .object({
    id: z.number(), slug: z.string(), subject: z.string(), template: z.string(), createdAt: z.string(), updatedAt: z.string(),
    sends: z.array(z.object({
      id: z.number(), list: z.string(), status: z.string(), total: z.number(), sent: z.number(),
      scheduledAt: z.string().nullable(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
    })),
  })
  .meta({ id: 'IssueWithSends' });

export const issueRoutes = [
  route({
    method: 'get', path: '/issues', tag: 'issues', summary: 'The issues, newest first, each with its sends (`before`: the last id of the previous page)',
    query: z.object({ limit: s.limit(200, 50), before: z.coerce.number().int().positive().optional() }),
    response: z.object({ issues: z.array(issueWithSends) }),
    uses: ['pool'],
    handler: async ({ services, query }) => ({ issues: await listIssues(services.pool, query.limit, query.before) }),
  }),
  route({
    method: 'post', path: '/issues', tag: 'issues', summary: 'Create (or update, while never sent) an issue from its content: YAML, or Markdown with Content-Type: text/markdown', status: 201,
    raw: { contentType: 'application/yaml', description: 'The content file, as `tidings issue create` reads it (send Markdown as text/markdown)' },
    query: z.object({ list: z.string().min(1).optional().meta({ description: 'take what the issue leaves out (template, postal address, default name) from this list' }) }),
    response: issue.extend({ created: z.boolean(), updated: z.boolean() }),
    uses: ['config', 'pool'],
    handler: async ({ services, req, query }) => {
      const source = await text(req);
      if (Buffer.byteLength(source) > MAX_CONTENT_BYTES) throw new ApiError('TOO_LARGE', 'the content is larger than 2 MB');
      if (!source.trim()) throw new ApiError('INVALID_INPUT', 'body: expected the issue content (YAML)', 'body');
      // The same path as the CLI (render, store, links), through a private temporary file.
      const dir = await mkdtemp(path.join(tmpdir(), 'tidings-issue-'));
      try {
        const file = path.join(dir, req.is('text/markdown') ? 'issue.md' : 'issue.yaml');
        await writeFile(file, source);
        const result = await createIssueFromFile(services.pool, file, await issueFileOptions(services.config, services.pool, query.list));
        return { ...summary(result.issue), created: result.created, updated: result.updated };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  }),
  route({
    method: 'get', path: '/issues/:ref', tag: 'issues', summary: 'An issue (id or slug)',
    params: byRef, response: issue,
    uses: ['pool'],
    handler: async ({ services, params }) => summary(await getIssue(services.pool, params.ref)),
  }),
  route({
    method: 'get', path: '/issues/:ref/html', tag: 'issues', summary: 'The compiled HTML (personal values as %%tidings:…%% markers)',
    params: byRef, produces: 'text/html',
    uses: ['pool'],
    handler: async ({ services, params, res }) => {
      const i = await getIssue(services.pool, params.ref);
      res.status(200).type('text/html; charset=utf-8').set('Content-Security-Policy', "default-src 'none'; img-src * data:; style-src 'unsafe-inline'").send(i.html);
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/issues/:ref/preview', tag: 'issues',
    summary: 'The issue as its web version will look (drafts too): personal values neutralised, for operators only',
    params: byRef, query: z.object({ list: s.slug.optional() }), produces: 'text/html',
    uses: ['links', 'pool'],
    handler: async ({ services, params, query, res }) => {
      const i = await getIssue(services.pool, params.ref);
      const list = query.list ? await getListBySlug(services.pool, query.list) : undefined;
      const html = neutralHtml(i.html, {
        listName: list?.name ?? i.subject,
        webVersionUrl: services.links.webVersion(i.slug),
        defaultName: i.defaultName,
        unsubscribeUrl: services.links.unsubscribeHelp(),
      });
      // Never cached and never indexed: a draft is the operator's.
      res.status(200).type('text/html; charset=utf-8').set({
        'Content-Security-Policy': "default-src 'none'; img-src * data:; style-src 'unsafe-inline'",
        'Cache-Control': 'no-store',
        'X-Robots-Tag': 'noindex',
      }).send(html);
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/issues/:ref/text', tag: 'issues', summary: 'The compiled plain text',
    params: byRef, produces: 'text/plain',
    uses: ['pool'],
    handler: async ({ services, params, res }) => {
      const i = await getIssue(services.pool, params.ref);
      res.status(200).type('text/plain; charset=utf-8').send(i.text);
      return undefined;
    },
  }),
  route({
    method: 'post', path: '/issues/:ref/preflight', tag: 'issues', summary: 'Run the preflight checks on a stored issue (errors stop a send, warnings do not)', role: 'viewer', audit: false,
    params: byRef,
    response: z.object({ sendable: z.boolean(), errors: z.array(z.unknown()), warnings: z.array(z.unknown()) }),
    uses: ['config', 'pool'],
    handler: async ({ services, params }) => {
      const report = await preflightStoredIssue(services, await getIssue(services.pool, params.ref));
      return { sendable: report.errors.length === 0, errors: report.errors, warnings: report.warnings };
    },
  }),
];
