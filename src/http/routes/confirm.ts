import express, { Router } from 'express';
import type { Services } from '../../app/services';
import { getListById } from '../../db/lists';
import { confirmSubscription } from '../../db/subscribe-form';
import { escapeHtml } from '../../render/slots';
import { catalogueFor } from '../../i18n/catalogues';
import { notice, page, paragraph, requestCatalogue } from '../pages';

/**
 * Double opt-in. GET /confirm/:token shows a page with a button and changes nothing (link scanners follow
 * GETs); POST /confirm/:token confirms. The token is a 'confirm' token (an unsubscribe or click token does
 * not verify) and expires after 7 days.
 */
export function confirmRoutes(services: Pick<Services, 'pool' | 'links' | 'log'>): Router {
  const router = Router();
  const readBody = express.text({ type: () => true, limit: '4kb' });

  const invalid = (req: express.Request, res: express.Response) => {
    const t = requestCatalogue(req);
    return res.status(400).send(notice(t, t.invalidLinkTitle, t.invalidLinkBody));
  };

  router.get('/confirm/:token', async (req, res) => {
    const target = services.links.readConfirm(req.params.token);
    const list = target && (await getListById(services.pool, target.listId).catch(() => undefined));
    if (!target || !list) return invalid(req, res);
    const action = `/confirm/${encodeURIComponent(req.params.token)}`;
    const t = catalogueFor(list.language);
    res.send(
      page(
        t,
        t.confirmTitle,
        `<p>${escapeHtml(t.confirmQuestion(list.name))}</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(t.confirmButton)}</button></form>`,
      ),
    );
  });

  router.post('/confirm/:token', readBody, async (req, res) => {
    const target = services.links.readConfirm(req.params.token as string);
    const list = target && (await getListById(services.pool, target.listId).catch(() => undefined));
    if (!target || !list) return invalid(req, res);
    const result = await confirmSubscription(services.pool, target.listId, target.subscriberId);
    if (result === 'missing') return invalid(req, res);
    if (result === 'confirmed') {
      services.log.info({ event: 'subscription.confirmed', listId: list.id, subscriberId: target.subscriberId }, 'subscription confirmed');
    }
    const t = catalogueFor(list.language);
    const body = result === 'confirmed' ? t.confirmedBody(list.name) : t.alreadyConfirmedBody(list.name);
    res.send(
      page(
        t,
        t.confirmedTitle,
        `${paragraph(body)}<p><a href="${escapeHtml(services.links.preferences(target.subscriberId))}">${escapeHtml(t.managePreferences)}</a></p>`,
      ),
    );
  });

  return router;
}
