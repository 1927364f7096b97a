import express, { Router, type Request } from 'express';
import type { Services } from '../../app/services';
import { recordEvents } from '../../db/events';
import { getListById } from '../../db/lists';
import { unsubscribe } from '../../db/subscribers';
import { escapeHtml } from '../../render/slots';
import { page, paragraph } from '../pages';
import { strings } from '../strings';

/** RFC 8058 one-click: the body is `List-Unsubscribe=One-Click`, urlencoded or as a multipart field. */
export function isOneClickBody(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  return /(^|&)List-Unsubscribe=One-Click(&|$)/.test(body.trim()) || /name="List-Unsubscribe"\r?\n\r?\nOne-Click\r?\n/.test(body);
}

/**
 * GET /unsubscribe/:token shows a page with a button and changes nothing (mail scanners follow GETs).
 * POST /unsubscribe/:token unsubscribes: from that page's button, or from a mail client's RFC 8058
 * one-click request. Repeating it is harmless.
 */
export function unsubscribeRoutes(services: Services): Router {
  const router = Router();
  const readBody = express.text({ type: () => true, limit: '16kb' });

  router.get('/unsubscribe', (_req, res) => {
    res.send(page(strings.unsubscribeHelpTitle, paragraph(strings.unsubscribeHelpBody)));
  });

  router.get('/unsubscribe/:token', async (req, res) => {
    const target = services.links.readUnsubscribe(req.params.token);
    if (!target) return invalidLink(res);
    const list = await getListById(services.pool, target.listId).catch(() => undefined);
    if (!list) return invalidLink(res);
    const action = `/unsubscribe/${encodeURIComponent(req.params.token)}`;
    res.send(
      page(
        strings.unsubscribeTitle,
        `<p>${escapeHtml(strings.unsubscribeQuestion(list.name))}</p>${paragraph(strings.unsubscribeExplain)}
<form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(strings.unsubscribeButton)}</button></form>`,
      ),
    );
  });

  router.post('/unsubscribe/:token', readBody, async (req: Request, res) => {
    const oneClick = isOneClickBody(req.body);
    const target = services.links.readUnsubscribe(req.params.token as string);
    if (!target) return oneClick ? res.status(400).type('text/plain').send('invalid unsubscribe link\n') : invalidLink(res);
    const list = await getListById(services.pool, target.listId).catch(() => undefined);
    if (!list) return oneClick ? res.status(400).type('text/plain').send('invalid unsubscribe link\n') : invalidLink(res);
    const changed = await unsubscribe(services.pool, target.listId, target.subscriberId);
    if (changed) {
      await recordEvents(services.pool, [
        { type: 'unsubscribe', deliveryId: target.deliveryId || null, subscriberId: target.subscriberId, listId: target.listId, data: { oneClick } },
      ]).catch((err) => services.log.error({ event: 'unsubscribe.event_failed', err }, 'could not record the unsubscribe event'));
      services.log.info({ event: 'subscription.unsubscribed', listId: target.listId, subscriberId: target.subscriberId, oneClick }, 'unsubscribed');
    }
    if (oneClick) return res.status(200).type('text/plain').send('unsubscribed\n');
    res.send(page(strings.unsubscribedTitle, paragraph(changed ? strings.unsubscribedBody(list.name) : strings.alreadyUnsubscribedBody(list.name))));
  });

  return router;
}

function invalidLink(res: express.Response) {
  res.status(400).send(page(strings.invalidLinkTitle, paragraph(strings.invalidLinkBody)));
}
