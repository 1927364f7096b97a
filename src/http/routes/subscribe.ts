import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../../app/services';
import { findListBySlug, type List } from '../../db/lists';
import { subscribeFromForm } from '../../db/subscribe-form';
import { checkEmailAddress } from '../../mail/email-address';
import { escapeHtml, singleLine } from '../../render/slots';
import { catalogueFor, type Catalogue } from '../../i18n/catalogues';
import { inputField, notice, page, requestCatalogue } from '../pages';
import type { ReaderEmails } from '../reader-emails';

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
 * Limits: requests per client address (Redis), one confirmation email per subscription per 24 hours
 * (ReaderEmails), a honeypot field, a small body. An address that is not an address is the one answer that
 * differs: the form again, with what was typed and the message next to the field.
 */
export function subscribeRoutes(services: Pick<Services, 'config' | 'log' | 'pool' | 'redis' | 'background'>, readerEmails: ReaderEmails): Router {
  const router = Router();
  const { config, log } = services;
  const perIp = new RateLimiterRedis({ storeClient: services.redis, keyPrefix: `${config.queuePrefix}:rl:subscribe-ip`, points: SUBSCRIBE_PER_IP_PER_MINUTE, duration: 60 });

  /** The form page; other sites may embed it in a frame, also when it comes back with a message. */
  const formPage = (res: Response, status: number, t: Catalogue, list: List, typed?: FormValues) => {
    res.removeHeader('X-Frame-Options');
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors *");
    res.status(status).send(page(t, t.subscribeTitle(list.name), subscribeForm(t, list, typed)));
  };

  router.get('/subscribe/:list', async (req, res) => {
    const list = await findListBySlug(services.pool, req.params.list);
    if (!list) {
      const t = requestCatalogue(req);
      return res.status(404).send(notice(t, t.notFoundTitle, t.listNotFound));
    }
    formPage(res, 200, catalogueFor(list.language), list);
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
      if (!address.ok) {
        if (json) return fail(400, t.subscribeInvalidEmail);
        return formPage(res, 400, t, list, { email: field('email').slice(0, 320), name, error: t.subscribeInvalidEmail });
      }
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
    await readerEmails.confirmation(list, { id: outcome.subscriberId, email, name });
  }

  // A body over the limit: 413, in the form the client asked for.
  router.use('/subscribe', (err: Error & { status?: number; type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (err.status === 413) {
      const t = requestCatalogue(req);
      return wantsJson(req) ? res.status(413).json({ error: t.bodyTooLarge }) : res.status(413).send(notice(t, t.errorTitle, t.bodyTooLarge));
    }
    if (err.status === 400 && err.type === 'entity.parse.failed') {
      return res.status(400).json({ error: requestCatalogue(req).invalidJson });
    }
    next(err);
  });

  return router;
}

interface FormValues {
  email: string;
  name: string;
  error: string;
}

function subscribeForm(t: Catalogue, list: List, typed?: FormValues): string {
  const id = (name: string) => `f-${name}`;
  return `<form method="post" action="/subscribe">
<input type="hidden" name="list" value="${escapeHtml(list.slug)}">
${inputField({ id: id('email'), name: 'email', type: 'email', label: t.subscribeEmailLabel, required: true, autocomplete: 'email', value: typed?.email, error: typed?.error })}
${inputField({ id: id('name'), name: 'name', type: 'text', label: t.subscribeNameLabel, autocomplete: 'name', maxlength: 200, value: typed?.name })}
<p style="position:absolute;left:-10000px" aria-hidden="true"><label for="${id(HONEYPOT_FIELD)}">${escapeHtml(t.subscribeHoneypotLabel)}</label>
<input id="${id(HONEYPOT_FIELD)}" name="${HONEYPOT_FIELD}" type="text" tabindex="-1" autocomplete="off"></p>
<p><button type="submit">${escapeHtml(t.subscribeButton)}</button></p>
</form>`;
}
