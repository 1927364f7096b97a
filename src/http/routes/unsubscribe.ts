import express, { Router, type Request, type Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../../app/services';
import { recordEvents } from '../../db/events';
import { getListById, type List } from '../../db/lists';
import { subscriptionStanding, unsubscribeAll } from '../../db/reader-preferences';
import { confirmSubscription } from '../../db/subscribe-form';
import { getSubscriptionStatus, unsubscribe } from '../../db/subscribers';
import { catalogueFor, type Catalogue } from '../../i18n/catalogues';
import { checkEmailAddress } from '../../mail/email-address';
import { escapeHtml } from '../../render/slots';
import { buttonForm, inputField, notice, page, paragraph, requestCatalogue } from '../pages';
import type { ReaderEmails } from '../reader-emails';

/** Requests for one's links on the generic unsubscribe page, per client address per hour. */
export const LINK_REQUESTS_PER_IP_PER_HOUR = 20;

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
 * GET /unsubscribe/:token shows a page with a button and changes nothing (mail scanners follow GETs);
 * once unsubscribed, it shows that, with a "subscribe again" button (POST /unsubscribe/:token/resubscribe,
 * through a confirmation email when the list has double opt-in). POST /unsubscribe/:token unsubscribes:
 * from that page's button, or from a mail client's RFC 8058 one-click request. Repeating it is harmless.
 * GET /unsubscribe, the page of the web version and of test messages (no personal token), asks for an
 * address and emails it its own links (POST /unsubscribe): the same answer whether it is subscribed or not.
 */
export function unsubscribeRoutes(services: Pick<Services, 'config' | 'pool' | 'links' | 'log' | 'redis' | 'background'>, readerEmails: ReaderEmails): Router {
  const router = Router();
  const readBody = express.text({ type: () => true, limit: '16kb' });
  const readForm = express.urlencoded({ extended: false, limit: '4kb' });
  const perIp = new RateLimiterRedis({
    storeClient: services.redis,
    keyPrefix: `${services.config.queuePrefix}:rl:links-ip`,
    points: LINK_REQUESTS_PER_IP_PER_HOUR,
    duration: 3600,
  });

  const helpPage = (t: Catalogue, typed?: { email: string; error: string }) =>
    page(
      t,
      t.unsubscribeHelpTitle,
      `${paragraph(t.unsubscribeHelpBody)}${paragraph(t.unsubscribeHelpAsk)}
<form method="post" action="/unsubscribe">
${inputField({ id: 'u-email', name: 'email', type: 'email', label: t.subscribeEmailLabel, required: true, autocomplete: 'email', value: typed?.email, error: typed?.error })}
<p><button type="submit">${escapeHtml(t.unsubscribeHelpButton)}</button></p>
</form>`,
    );

  router.get('/unsubscribe', (req, res) => {
    res.send(helpPage(requestCatalogue(req)));
  });

  router.post('/unsubscribe', readForm, async (req: Request, res) => {
    const t = requestCatalogue(req);
    try {
      await perIp.consume(req.ip ?? 'unknown');
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        res.set('Retry-After', String(Math.ceil(err.msBeforeNext / 1000)));
        return res.status(429).send(notice(t, t.errorTitle, t.subscribeTooMany));
      }
      services.log.error({ event: 'unsubscribe.rate_limit_failed', err }, 'rate limiter unavailable; going on');
    }
    const typed = typeof (req.body as Record<string, unknown>)?.email === 'string' ? ((req.body as Record<string, string>).email) : '';
    const address = checkEmailAddress(typed);
    if (!address.ok) return res.status(400).send(helpPage(t, { email: typed.slice(0, 320), error: t.subscribeInvalidEmail }));
    // The same answer, before any lookup, whatever the address: the work happens after it has gone out.
    res.status(202).send(notice(t, t.newLinkSentTitle, t.linksRequestedBody));
    // Accepted: tracked until done, so a shutdown right after this answer still sends the email.
    services.background.later('links-email', () =>
      readerEmails
        .subscriptionLinks({ email: address.address }, t)
        .then((result) => services.log.info({ event: 'unsubscribe.links_requested', result }, 'links requested on the unsubscribe page'))
        .catch((err) => services.log.error({ event: 'unsubscribe.links_failed', err }, 'could not email a reader their links')),
    );
  });

  /** The token's subscription and list, or undefined for a link that is not one of ours. */
  async function read(token: string) {
    const target = services.links.readUnsubscribe(token);
    const list = target && (await getListById(services.pool, target.listId).catch(() => undefined));
    return target && list ? { ...target, list } : undefined;
  }

  /** "Subscribe again": what pressing the button will do, then the button. */
  const resubscribeOffer = (t: Catalogue, token: string, list: List) =>
    paragraph(list.doubleOptIn ? t.resubscribeExplainDouble : t.resubscribeExplainSingle) + buttonForm(`/unsubscribe/${encodeURIComponent(token)}/resubscribe`, t.resubscribeButton);

  router.get('/unsubscribe/:token', async (req, res) => {
    const token = req.params.token;
    const target = await read(token);
    if (!target) return invalidLink(req, res);
    const { list } = target;
    const t = catalogueFor(list.language);
    const preferences = `<p><a href="${escapeHtml(services.links.preferences(target.subscriberId))}">${escapeHtml(t.managePreferences)}</a></p>`;
    if ((await getSubscriptionStatus(services.pool, list.id, target.subscriberId)) === 'unsubscribed') {
      return res.send(page(t, t.unsubscribedTitle, paragraph(t.notSubscribedBody(list.name)) + resubscribeOffer(t, token, list) + preferences));
    }
    const action = `/unsubscribe/${encodeURIComponent(token)}`;
    res.send(
      page(
        t,
        t.unsubscribeTitle,
        `<p>${escapeHtml(t.unsubscribeQuestion(list.name))}</p>${paragraph(t.unsubscribeExplain)}
<form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(t.unsubscribeButton)}</button></form>
${buttonForm(action, t.unsubscribeAllButton, { scope: 'all' })}
${preferences}`,
      ),
    );
  });

  router.post('/unsubscribe/:token', readBody, async (req: Request, res) => {
    const token = req.params.token as string;
    const oneClick = isOneClickBody(req.body);
    const target = await read(token);
    if (!target) return oneClick ? res.status(400).type('text/plain').send('invalid unsubscribe link\n') : invalidLink(req, res);
    const { list } = target;
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
    const preferences = `<p><a href="${escapeHtml(services.links.preferences(target.subscriberId))}">${escapeHtml(t.managePreferences)}</a></p>`;
    if (allLists) return res.send(page(t, t.unsubscribedTitle, paragraph(t.unsubscribedAllBody) + preferences));
    const changed = changedLists.length > 0;
    res.send(page(t, t.unsubscribedTitle, paragraph(changed ? t.unsubscribedBody(list.name) : t.alreadyUnsubscribedBody(list.name)) + resubscribeOffer(t, token, list)));
  });

  // Back on the list, by the owner of the address (the token came in an email to it): at once on a single
  // opt-in list, through a confirmation email on a double opt-in one.
  router.post('/unsubscribe/:token/resubscribe', readBody, async (req: Request, res) => {
    const target = await read(req.params.token as string);
    if (!target) return invalidLink(req, res);
    const { list, subscriberId } = target;
    const t = catalogueFor(list.language);
    const standing = await subscriptionStanding(services.pool, list.id, subscriberId);
    if (standing.kind === 'unknown') return invalidLink(req, res);
    if (standing.kind === 'confirmed') return res.send(notice(t, t.confirmedTitle, t.alreadyConfirmedBody(list.name)));
    if (standing.kind === 'unreachable') return res.send(notice(t, t.errorTitle, t.unreachableBody));
    if (list.doubleOptIn) {
      const sent = await readerEmails.confirmation(list, standing.reader);
      return res.send(notice(t, t.newLinkSentTitle, sent === 'sent' ? t.resubscribeConfirmSent(list.name) : t.confirmLinkLimited));
    }
    if ((await confirmSubscription(services.pool, list.id, subscriberId)) === 'missing') return invalidLink(req, res);
    services.log.info({ event: 'subscription.resubscribed', listId: list.id, subscriberId }, 'subscribed again from the unsubscribe page');
    res.send(
      page(t, t.resubscribedTitle, `${paragraph(t.resubscribedBody(list.name))}<p><a href="${escapeHtml(services.links.preferences(subscriberId))}">${escapeHtml(t.managePreferences)}</a></p>`),
    );
  });

  return router;
}

function invalidLink(req: Request, res: Response) {
  const t = requestCatalogue(req);
  res.status(400).send(notice(t, t.invalidLinkTitle, t.invalidLinkBody));
}
