import express, { Router } from 'express';
import type { Services } from '../../app/services';
import { getListById } from '../../db/lists';
import { confirmSubscription } from '../../db/subscribe-form';
import { escapeHtml } from '../../render/slots';
import { page, paragraph } from '../pages';
import { strings } from '../strings';

/**
 * Double opt-in. GET /confirm/:token shows a page with a button and changes nothing (link scanners follow
 * GETs); POST /confirm/:token confirms. The token is a 'confirm' token (an unsubscribe or click token does
 * not verify) and expires after 7 days.
 */
export function confirmRoutes(services: Pick<Services, 'pool' | 'links' | 'log'>): Router {
  const router = Router();
  const readBody = express.text({ type: () => true, limit: '4kb' });

  const invalid = (res: express.Response) => res.status(400).send(page(strings.invalidLinkTitle, paragraph(strings.invalidLinkBody)));

  router.get('/confirm/:token', async (req, res) => {
    const target = services.links.readConfirm(req.params.token);
    const list = target && (await getListById(services.pool, target.listId).catch(() => undefined));
    if (!target || !list) return invalid(res);
    const action = `/confirm/${encodeURIComponent(req.params.token)}`;
    res.send(
      page(
        strings.confirmTitle,
        `<p>${escapeHtml(strings.confirmQuestion(list.name))}</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(strings.confirmButton)}</button></form>`,
      ),
    );
  });

  router.post('/confirm/:token', readBody, async (req, res) => {
    const target = services.links.readConfirm(req.params.token as string);
    const list = target && (await getListById(services.pool, target.listId).catch(() => undefined));
    if (!target || !list) return invalid(res);
    const result = await confirmSubscription(services.pool, target.listId, target.subscriberId);
    if (result === 'missing') return invalid(res);
    if (result === 'confirmed') {
      services.log.info({ event: 'subscription.confirmed', listId: list.id, subscriberId: target.subscriberId }, 'subscription confirmed');
    }
    const body = result === 'confirmed' ? strings.confirmedBody(list.name) : strings.alreadyConfirmedBody(list.name);
    res.send(
      page(
        strings.confirmedTitle,
        `${paragraph(body)}<p><a href="${escapeHtml(services.links.preferences(target.subscriberId))}">${escapeHtml(strings.managePreferences)}</a></p>`,
      ),
    );
  });

  return router;
}
