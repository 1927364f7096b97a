import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../../app/services';
import { findListBySlug, type List } from '../../db/lists';
import { claimConfirmationEmail, subscribeFromForm } from '../../db/subscribe-form';
import { buildConfirmationEmail } from '../../mail/confirmation-email';
import { checkEmailAddress } from '../../mail/email-address';
import { escapeHtml, singleLine } from '../../render/slots';
import { listSender } from '../../send/sender';
import { catalogueFor, type Catalogue } from '../../i18n/catalogues';
import { notice, page, requestCatalogue } from '../pages';

/** Subscribe requests per client address per minute. */
export const SUBSCRIBE_PER_IP_PER_MINUTE = 20;
/** The name of the honeypot field: hidden from people, filled in by form-spamming bots. */
export const HONEYPOT_FIELD = 'website';
const BODY_LIMIT = '4kb';

const wantsJson = (req: Request) => Boolean(req.is('application/json')) || req.accepts(['html', 'json']) === 'json';

/**
 * POST /subscribe (form or JSON: email, name, list) and GET /subscribe/:list (a plain form any site can
 * link to or embed). The answer is the same, in status, body and timing, whatever the address's state
 * (new, subscribed, unsubscribed, blocked): the database work and the email happen after the response.
 * Limits: requests per client address (Redis), one confirmation email per address per 24 hours (Redis,
 * and a database claim that also holds when Redis is down), a honeypot field, a small body.
 */
export function subscribeRoutes(services: Pick<Services, 'config' | 'log' | 'pool' | 'redis' | 'links' | 'dkim' | 'readerMail' | 'background'>): Router {
  const router = Router();
  const { config, log } = services;
  const perIp = new RateLimiterRedis({ storeClient: services.redis, keyPrefix: `${config.queuePrefix}:rl:subscribe-ip`, points: SUBSCRIBE_PER_IP_PER_MINUTE, duration: 60 });
  const perAddress = new RateLimiterRedis({ storeClient: services.redis, keyPrefix: `${config.queuePrefix}:rl:confirm-email`, points: 1, duration: 24 * 3600 });
  const { dkim } = services;

  router.get('/subscribe/:list', async (req, res) => {
    const list = await findListBySlug(services.pool, req.params.list);
    if (!list) {
      const t = requestCatalogue(req);
      return res.status(404).send(notice(t, t.notFoundTitle, t.listNotFound));
    }
    const t = catalogueFor(list.language);
    // Other sites may embed this form in a frame.
    res.removeHeader('X-Frame-Options');
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors *");
    res.send(page(t, t.subscribeTitle(list.name), subscribeForm(t, list)));
  });

  router.post(
    '/subscribe',
    express.urlencoded({ extended: false, limit: BODY_LIMIT }),
    express.json({ limit: BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const json = wantsJson(req);
      // Until the list is known, the browser's languages decide.
      let t = requestCatalogue(req);
      const fail = (status: number, message: string) =>
        json ? res.status(status).json({ error: message }) : res.status(status).send(notice(t, t.errorTitle, message));
      try {
        await perIp.consume(req.ip ?? 'unknown');
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          res.set('Retry-After', String(Math.ceil(err.msBeforeNext / 1000)));
          return fail(429, t.subscribeTooMany);
        }
        log.error({ event: 'subscribe.rate_limit_failed', err }, 'rate limiter unavailable; going on');
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
      const address = checkEmailAddress(field('email'));
      const name = singleLine(field('name')).slice(0, 200);
      const slug = field('list').trim();
      if (!slug) return fail(400, t.subscribeMissingList);
      const list = await findListBySlug(services.pool, slug);
      if (!list) return fail(404, t.listNotFound);
      t = catalogueFor(list.language);
      if (!address.ok) return fail(400, t.subscribeInvalidEmail);
      const email = address.address;

      const message = list.doubleOptIn ? t.subscribeDoneDoubleOptIn : t.subscribeDoneSingleOptIn;
      if (json) res.status(202).json({ status: 'accepted', message });
      else res.status(202).send(notice(t, t.subscribeDoneTitle, message));

      // A filled-in honeypot gets the same answer, and nothing happens.
      if (field(HONEYPOT_FIELD)) {
        log.info({ event: 'subscribe.honeypot', listId: list.id }, 'honeypot filled: ignored');
        return;
      }
      // Accepted: tracked until done, so a shutdown right after this answer still stores it and sends its email.
      services.background.later('subscription', () =>
        processSubscription(list, email, name).catch((err) => log.error({ event: 'subscribe.failed', listId: list.id, err }, 'could not process a subscription')),
      );
    },
  );

  async function processSubscription(list: List, email: string, name: string): Promise<void> {
    const outcome = await subscribeFromForm(services.pool, { listId: list.id, email, name, doubleOptIn: list.doubleOptIn });
    if (outcome.action !== 'confirm') {
      log.info({ event: 'subscribe.processed', listId: list.id, action: outcome.action }, 'subscription form processed');
      return;
    }
    // One confirmation email per address per 24 hours: Redis first (cheap under a flood), then the
    // database claim decides for good.
    const allowed = await perAddress.consume(email.toLowerCase()).then(
      () => true,
      (err) => !(err instanceof RateLimiterRes),
    );
    if (!allowed || !(await claimConfirmationEmail(services.pool, list.id, outcome.subscriberId))) {
      log.info({ event: 'subscribe.confirmation_limited', listId: list.id, subscriberId: outcome.subscriberId }, 'confirmation email already sent recently');
      return;
    }
    const sender = listSender(config, list);
    const t = catalogueFor(list.language);
    const raw = buildConfirmationEmail({
      from: sender,
      to: { name, address: email },
      sendingDomain: sender.domain,
      lang: t.lang,
      subject: t.confirmEmailSubject(list.name),
      intro: t.confirmEmailIntro(list.name),
      button: t.confirmEmailButton,
      outro: t.confirmEmailOutro,
      confirmUrl: services.links.confirm(outcome.subscriberId, list.id),
      dkim,
    });
    const mailer = await services.readerMail.get();
    await mailer.send({ from: sender.address, to: email }, raw);
    log.info({ event: 'subscribe.confirmation_sent', listId: list.id, subscriberId: outcome.subscriberId }, 'confirmation email sent');
  }

  // A body over the limit: 413, in the form the client asked for.
  router.use('/subscribe', (err: Error & { status?: number; type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (err.status === 413) {
      const t = requestCatalogue(req);
      return wantsJson(req) ? res.status(413).json({ error: t.bodyTooLarge }) : res.status(413).send(notice(t, t.errorTitle, t.bodyTooLarge));
    }
    if (err.status === 400 && err.type === 'entity.parse.failed') {
      return res.status(400).json({ error: 'The request body is not valid JSON.' });
    }
    next(err);
  });

  return router;
}

function subscribeForm(t: Catalogue, list: List): string {
  const id = (name: string) => `f-${name}`;
  return `<form method="post" action="/subscribe">
<input type="hidden" name="list" value="${escapeHtml(list.slug)}">
<p><label for="${id('email')}">${escapeHtml(t.subscribeEmailLabel)}</label><br>
<input id="${id('email')}" name="email" type="email" required autocomplete="email" style="font:inherit;width:100%;padding:.4rem"></p>
<p><label for="${id('name')}">${escapeHtml(t.subscribeNameLabel)}</label><br>
<input id="${id('name')}" name="name" type="text" autocomplete="name" maxlength="200" style="font:inherit;width:100%;padding:.4rem"></p>
<p style="position:absolute;left:-10000px" aria-hidden="true"><label for="${id(HONEYPOT_FIELD)}">${escapeHtml(t.subscribeHoneypotLabel)}</label>
<input id="${id(HONEYPOT_FIELD)}" name="${HONEYPOT_FIELD}" type="text" tabindex="-1" autocomplete="off"></p>
<p><button type="submit">${escapeHtml(t.subscribeButton)}</button></p>
</form>`;
}
