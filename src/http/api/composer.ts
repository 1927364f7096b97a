import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { getIssueSource } from '../../db/issues';
import { countSendsOfIssue } from '../../db/issue-list';
import { getIssue } from '../../db/issues';
import { issueFileOptions } from '../../issues/issue-file-options';
import { addressCheckFor } from '../../render/preflight-addresses';
import { preflightFile } from '../../render/preflight-file';
import { TEMPLATES_DIR } from '../../render/render-issue';
import { escapeHtml, fillMarkers } from '../../render/slots';
import { removeOpenPixel } from '../../security/tracked-links';
import { testSend } from '../../send/test-send';
import { ApiError, route } from './route';
import * as s from './schemas';

const MAX_CONTENT_BYTES = 2 * 1024 * 1024;

/** Markdown when the client says so, or when the text opens with front matter (`---`). */
export function isMarkdownSource(contentType: string | undefined, source: string): boolean {
  return /markdown/i.test(contentType ?? '') || /^\uFEFF?---\s*\n/.test(source);
}
const byRef = z.object({ ref: z.string().min(1).max(200) });

/** What the composer needs besides create/update and the issue list: an issue's source, a live preview, a test message. */
export const composerRoutes = [
  route({
    method: 'get', path: '/issues/:ref/source', tag: 'issues', summary: 'The content an issue was compiled from, as written',
    params: byRef, produces: 'text/plain',
    uses: ['pool'],
    handler: async ({ services, params, res }) => {
      const issue = await getIssue(services.pool, params.ref);
      const sends = await countSendsOfIssue(services.pool, issue.id);
      res.status(200).type('text/plain; charset=utf-8').set('X-Tidings-Sends', String(sends)).send(await getIssueSource(services.pool, issue.id));
      return undefined;
    },
  }),
  route({
    method: 'post', path: '/issues/preview', tag: 'issues', summary: 'Render content without storing it: the HTML and text a subscriber would get, and the preflight findings (Markdown with Content-Type: text/markdown, else YAML)',
    role: 'viewer', audit: false,
    raw: { contentType: 'text/markdown', description: 'The issue content, as the composer holds it' },
    query: z.object({ list: s.slug.optional() }),
    uses: ['config', 'links', 'pool'],
    handler: async ({ services, req, query }) => {
      const source = await text(req);
      if (Buffer.byteLength(source) > MAX_CONTENT_BYTES) throw new ApiError('TOO_LARGE', 'the content is larger than 2 MB');
      // The same checks and renderer as `tidings issue check`, on a private temporary file named like the format.
      const dir = await mkdtemp(path.join(tmpdir(), 'tidings-preview-'));
      try {
        const file = path.join(dir, isMarkdownSource(req.get('content-type'), source) ? 'issue.md' : 'issue.yaml');
        await writeFile(file, source);
        // Unreachable addresses are shown while writing but never stop a save: the send gate refuses them.
        const addresses = { ...addressCheckFor(services.config), severity: 'warning' as const };
        const report = await preflightFile(file, { ...(await issueFileOptions(services.config, services.pool, query.list)), media: undefined, addresses });
        const r = report.rendered;
        // A preview shows what a subscriber without a name gets; the links stay as written (nothing is tracked).
        const values = { name: report.defaultName ?? '', unsubscribeUrl: services.links.unsubscribeHelp(), openPixelUrl: '', clickBase: '', listName: 'List', webVersionUrl: services.config.publicUrl };
        const escaped = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeHtml(v)]));
        const here = (f: { where: string }) => ({ ...f, where: f.where.split(file).join('issue') });
        return {
          ok: report.errors.length === 0,
          subject: r?.subject ?? null,
          preheader: r?.preheader ?? null,
          html: r ? fillMarkers(removeOpenPixel(r.html), escaped) : null,
          text: r ? fillMarkers(r.text, values) : null,
          htmlBytes: report.htmlBytes,
          errors: report.errors.map(here),
          warnings: report.warnings.map(here),
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  }),
  route({
    method: 'post', path: '/issues/:ref/test', tag: 'issues', summary: 'Send one test message of a stored issue to an address (preflight runs first; no send is created)',
    params: byRef, body: z.object({ email: s.emailAddress, list: s.slug.optional() }), audit: 'issues.test_sent',
    uses: ['config', 'dkim', 'links', 'log', 'pool', 'readerMail'],
    handler: async ({ services, params, body }) => {
      const mailer = await services.readerMail.get();
      const result = await testSend(services, mailer, params.ref, body.email, { list: body.list });
      return { to: result.to, messageId: result.messageId, response: result.response };
    },
  }),
];

export const templateRoutes = [
  route({
    method: 'get', path: '/templates', tag: 'issues', summary: 'The template sets an issue can name (folders under templates/)',
    uses: [],
    handler: async () => {
      const entries = await readdir(TEMPLATES_DIR, { withFileTypes: true });
      return { templates: entries.filter((e) => e.isDirectory()).map((e) => e.name).sort() };
    },
  }),
];
