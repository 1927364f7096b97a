import { Feed } from 'feed';
import { Router, type Request, type Response } from 'express';
import type { Services } from '../../app/services';
import { findArchivedIssue, findPublicArchiveList, listArchive, type ArchiveEntry } from '../../db/archive';
import { escapeHtml } from '../../render/slots';
import { neutralHtml } from '../../render/web-version';
import { catalogueFor, type Catalogue } from '../../i18n/catalogues';
import { notice, page, paragraph, requestCatalogue } from '../pages';

const FEED_LENGTH = 50;

/**
 * The public archive: GET /archive (the sent issues, newest first; `?list=<slug>` for one list),
 * GET /archive/feed.xml (the same as Atom) and GET /archive/:slug (one web version). Only issues sent to a
 * list whose archive is public appear; anything else is the same 404 as an address that never existed.
 */
export function archiveRoutes(services: Pick<Services, 'pool' | 'links'>): Router {
  const router = Router();
  const notFound = (req: Request, res: Response) => {
    const t = requestCatalogue(req);
    return res.status(404).send(notice(t, t.notFoundTitle, t.notFoundBody));
  };

  /**
   * The list named by `?list=` (in its language), or all public lists (in the browser's); undefined when
   * the named list is not public.
   */
  async function scope(req: Request): Promise<{ listSlug?: string; title: string; t: Catalogue } | undefined> {
    const query = req.query;
    const slug = typeof (query as { list?: unknown }).list === 'string' ? (query as { list: string }).list : undefined;
    if (slug === undefined) {
      const t = requestCatalogue(req);
      return { title: t.archiveTitle, t };
    }
    const list = await findPublicArchiveList(services.pool, slug);
    return list && { listSlug: list.slug, title: list.name, t: catalogueFor(list.language) };
  }

  router.get('/archive', async (req, res) => {
    const where = await scope(req);
    if (!where) return notFound(req, res);
    const entries = await listArchive(services.pool, { listSlug: where.listSlug });
    const feedUrl = services.links.archiveFeed(where.listSlug);
    res.send(
      page(where.t, where.title, archiveBody(where.t, entries, !where.listSlug, feedUrl, (slug) => services.links.webVersion(slug)), {
        head: `<link rel="alternate" type="application/atom+xml" title="${escapeHtml(where.title)}" href="${escapeHtml(feedUrl)}">`,
      }),
    );
  });

  router.get('/archive/feed.xml', async (req, res) => {
    const where = await scope(req);
    if (!where) return notFound(req, res);
    const entries = await listArchive(services.pool, { listSlug: where.listSlug, limit: FEED_LENGTH });
    const feed = new Feed({
      id: services.links.archive(where.listSlug),
      link: services.links.archive(where.listSlug),
      title: where.title,
      updated: entries[0]?.sentAt ?? new Date(0),
      generator: 'Tidings',
      feedLinks: { atom: services.links.archiveFeed(where.listSlug) },
    });
    for (const entry of entries) {
      const url = services.links.webVersion(entry.slug);
      feed.addItem({
        // One entry per issue and list: the same issue sent to two lists is two entries of the combined feed.
        id: where.listSlug ? url : `${url}#${entry.listSlug}`,
        title: entry.subject,
        link: url,
        date: entry.sentAt,
        published: entry.sentAt,
        description: entry.preheader || undefined,
        author: [{ name: entry.listName }],
      });
    }
    res.type('application/atom+xml; charset=utf-8').send(feed.atom1());
  });

  router.get('/archive/:issue', async (req, res) => {
    const issue = await findArchivedIssue(services.pool, req.params.issue);
    if (!issue) return notFound(req, res);
    res.type('html').send(
      neutralHtml(issue.html, {
        listName: issue.listName,
        webVersionUrl: services.links.webVersion(issue.slug),
        defaultName: issue.defaultName,
        unsubscribeUrl: services.links.unsubscribeHelp(),
      }),
    );
  });
  return router;
}

function archiveBody(t: Catalogue, entries: ArchiveEntry[], showList: boolean, feedUrl: string, webVersion: (slug: string) => string): string {
  const items = entries.map((e) => {
    const date = e.sentAt.toISOString().slice(0, 10);
    const list = showList ? ` · ${escapeHtml(e.listName)}` : '';
    const summary = e.preheader ? `<br><span class="muted">${escapeHtml(e.preheader)}</span>` : '';
    return `<li><a href="${escapeHtml(webVersion(e.slug))}">${escapeHtml(e.subject)}</a><br><time datetime="${date}">${date}</time>${list}${summary}</li>`;
  });
  const list = items.length ? `<ol class="archive" reversed>${items.join('\n')}</ol>` : paragraph(t.archiveEmpty);
  return `${list}\n<p><a href="${escapeHtml(feedUrl)}">${escapeHtml(t.archiveFeed)}</a></p>`;
}
