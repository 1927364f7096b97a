import express, { Router, type Request, type Response } from 'express';
import type { Services } from '../../app/services';
import { getListById, type List } from '../../db/lists';
import { subscriptionStanding } from '../../db/reader-preferences';
import { confirmSubscription } from '../../db/subscribe-form';
import { escapeHtml } from '../../render/slots';
import { catalogueFor } from '../../i18n/catalogues';
import { buttonForm, notice, page, paragraph, requestCatalogue } from '../pages';
import type { ReaderEmails } from '../reader-emails';

/**
 * Double opt-in. GET /confirm/:token shows a page with a button and changes nothing (link scanners follow
 * GETs); POST /confirm/:token confirms. The token is a 'confirm' token (an unsubscribe or click token does
 * not verify) and expires after 7 days: an expired link says so, and its button (POST
 * /confirm/:token/renew) emails a fresh one to the address it was for.
 */
export function confirmRoutes(services: Pick<Services, 'pool' | 'links' | 'log'>, readerEmails: ReaderEmails): Router {
  const router = Router();
  const readBody = express.text({ type: () => true, limit: '4kb' });

  const invalid = (req: Request, res: Response) => {
    const t = requestCatalogue(req);
    return res.status(400).send(notice(t, t.invalidLinkTitle, t.invalidLinkBody));
  };

  /** The token's list, and whether the link has expired; undefined when the link is not one of ours. */
  async function read(token: string): Promise<{ list: List; subscriberId: number; expired: boolean } | undefined> {
    const target = services.links.inspectConfirm(token);
    const list = target && (await getListById(services.pool, target.listId).catch(() => undefined));
    return target && list ? { list, subscriberId: target.subscriberId, expired: target.expired } : undefined;
  }

  const expiredPage = (res: Response, token: string, list: List) => {
    const t = catalogueFor(list.language);
    res.status(410).send(page(t, t.linkExpiredTitle, paragraph(t.confirmExpiredBody) + buttonForm(`/confirm/${encodeURIComponent(token)}/renew`, t.sendNewLinkButton)));
  };

  router.get('/confirm/:token', async (req, res) => {
    const link = await read(req.params.token);
    if (!link) return invalid(req, res);
    if (link.expired) return expiredPage(res, req.params.token, link.list);
    const t = catalogueFor(link.list.language);
    res.send(page(t, t.confirmTitle, `<p>${escapeHtml(t.confirmQuestion(link.list.name))}</p>\n${buttonForm(`/confirm/${encodeURIComponent(req.params.token)}`, t.confirmButton)}`));
  });

  router.post('/confirm/:token', readBody, async (req, res) => {
    const token = req.params.token as string;
    const link = await read(token);
    if (!link) return invalid(req, res);
    if (link.expired) return expiredPage(res, token, link.list);
    const { list, subscriberId } = link;
    const result = await confirmSubscription(services.pool, list.id, subscriberId);
    if (result === 'missing') return invalid(req, res);
    if (result === 'confirmed') {
      services.log.info({ event: 'subscription.confirmed', listId: list.id, subscriberId }, 'subscription confirmed');
    }
    const t = catalogueFor(list.language);
    const body = result === 'confirmed' ? t.confirmedBody(list.name) : t.alreadyConfirmedBody(list.name);
    res.send(page(t, t.confirmedTitle, `${paragraph(body)}<p><a href="${escapeHtml(services.links.preferences(subscriberId))}">${escapeHtml(t.managePreferences)}</a></p>`));
  });

  // A fresh confirmation link for the address an (expired) one was sent to: the token names it, so nothing
  // is typed and nothing about other addresses can be learnt here.
  router.post('/confirm/:token/renew', readBody, async (req, res) => {
    const link = await read(req.params.token as string);
    if (!link) return invalid(req, res);
    const { list, subscriberId } = link;
    const t = catalogueFor(list.language);
    const standing = await subscriptionStanding(services.pool, list.id, subscriberId);
    if (standing.kind === 'unknown') return invalid(req, res);
    if (standing.kind === 'confirmed') return res.send(notice(t, t.confirmedTitle, t.alreadyConfirmedBody(list.name)));
    if (standing.kind === 'unreachable') return res.send(notice(t, t.errorTitle, t.unreachableBody));
    const sent = await readerEmails.confirmation(list, standing.reader);
    res.send(notice(t, t.newLinkSentTitle, sent === 'sent' ? t.newLinkSentBody : t.confirmLinkLimited));
  });

  return router;
}
