import express, { Router, type Request } from 'express';
import type { Services } from '../../app/services';
import { recordEvents } from '../../db/events';
import { getListById } from '../../db/lists';
import { unsubscribeAll } from '../../db/reader-preferences';
import { unsubscribe } from '../../db/subscribers';
import { escapeHtml } from '../../render/slots';
import { catalogueFor } from '../../i18n/catalogues';
import { notice, page, paragraph, requestCatalogue } from '../pages';

/** RFC 8058 one-click: the body is `List-Unsubscribe=One-Click`, urlencoded or as a multipart field. */
export function isOneClickBody(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  return /(^|&)List-Unsubscribe=One-Click(&|$)/.test(body.trim()) || /name="List-Unsubscribe"\r?\n\r?\nOne-Click\r?\n/.test(body);
}

/** The page's second button posts `scope=all`: leave every list. */
export function isAllListsBody(body: unknown): boolean {
  return typeof body === 'string' && /(^|&)scope=all(&|$)/.test(body.trim());
}

/**
 * GET /unsubscribe/:token shows a page with a button and changes nothing (mail scanners follow GETs).
 * POST /unsubscribe/:token unsubscribes: from that page's button, or from a mail client's RFC 8058
 * one-click request. Repeating it is harmless.
 */
export function unsubscribeRoutes(services: Pick<Services, 'pool' | 'links' | 'log'>): Router {
  const router = Router();
  const readBody = express.text({ type: () => true, limit: '16kb' });

  router.get('/unsubscribe', (req, res) => {
    const t = requestCatalogue(req);
    res.send(notice(t, t.unsubscribeHelpTitle, t.unsubscribeHelpBody));
  });

  router.get('/unsubscribe/:token', async (req, res) => {
    const target = services.links.readUnsubscribe(req.params.token);
    if (!target) return invalidLink(req, res);
    const list = await getListById(services.pool, target.listId).catch(() => undefined);
    if (!list) return invalidLink(req, res);
    const action = `/unsubscribe/${encodeURIComponent(req.params.token)}`;
    const t = catalogueFor(list.language);
    res.send(
      page(
        t,
        t.unsubscribeTitle,
        `<p>${escapeHtml(t.unsubscribeQuestion(list.name))}</p>${paragraph(t.unsubscribeExplain)}
<form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(t.unsubscribeButton)}</button></form>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="scope" value="all"><p><button type="submit">${escapeHtml(t.unsubscribeAllButton)}</button></p></form>
<p><a href="${escapeHtml(services.links.preferences(target.subscriberId))}">${escapeHtml(t.managePreferences)}</a></p>`,
      ),
    );
  });

  router.post('/unsubscribe/:token', readBody, async (req: Request, res) => {
    const oneClick = isOneClickBody(req.body);
    const target = services.links.readUnsubscribe(req.params.token as string);
    if (!target) return oneClick ? res.status(400).type('text/plain').send('invalid unsubscribe link\n') : invalidLink(req, res);
    const list = await getListById(services.pool, target.listId).catch(() => undefined);
    if (!list) return oneClick ? res.status(400).type('text/plain').send('invalid unsubscribe link\n') : invalidLink(req, res);
    // One-click always means this list only; the page's second button leaves every list.
    const allLists = !oneClick && isAllListsBody(req.body);
    const changedLists = allLists
      ? await unsubscribeAll(services.pool, target.subscriberId)
      : (await unsubscribe(services.pool, target.listId, target.subscriberId)) ? [target.listId] : [];
    if (changedLists.length > 0) {
      await recordEvents(
        services.pool,
        changedLists.map((listId) => ({
          type: 'unsubscribe' as const,
          deliveryId: listId === target.listId ? target.deliveryId || null : null,
          subscriberId: target.subscriberId,
          listId,
          data: { oneClick, allLists },
        })),
      ).catch((err) => services.log.error({ event: 'unsubscribe.event_failed', err }, 'could not record the unsubscribe event'));
      services.log.info({ event: 'subscription.unsubscribed', listIds: changedLists, subscriberId: target.subscriberId, oneClick, allLists }, 'unsubscribed');
    }
    if (oneClick) return res.status(200).type('text/plain').send('unsubscribed\n');
    const t = catalogueFor(list.language);
    if (allLists) return res.send(notice(t, t.unsubscribedTitle, t.unsubscribedAllBody));
    const changed = changedLists.length > 0;
    res.send(notice(t, t.unsubscribedTitle, changed ? t.unsubscribedBody(list.name) : t.alreadyUnsubscribedBody(list.name)));
  });

  return router;
}

function invalidLink(req: express.Request, res: express.Response) {
  const t = requestCatalogue(req);
  res.status(400).send(notice(t, t.invalidLinkTitle, t.invalidLinkBody));
}
