import express, { Router } from 'express';
import type { Services } from '../../app/services';
import { readerData, setReaderLists, type ReaderData } from '../../db/reader-preferences';
import { deleteSubscriber } from '../../db/subscriber-admin';
import { escapeHtml } from '../../render/slots';
import { catalogueFor, negotiateLanguage, type Catalogue } from '../../i18n/catalogues';
import { buttonForm, notice, page, paragraph, requestCatalogue } from '../pages';
import type { ReaderEmails } from '../reader-emails';

/**
 * A subscriber's own page (GDPR): their lists (change them), their data (download as JSON) and deletion.
 * Reached with a 'preferences' token (from the unsubscribe and confirmation pages, and the links email; it
 * expires after 7 days: an expired link says so and its button emails a fresh one to the address it was
 * for). GETs change nothing; changes are POSTs.
 */
export function preferencesRoutes(services: Pick<Services, 'pool' | 'links' | 'log'>, readerEmails: ReaderEmails): Router {
  const router = Router();
  const readForm = express.urlencoded({ extended: false, limit: '8kb' });
  const invalid = (req: express.Request, res: express.Response) => {
    const t = requestCatalogue(req);
    return res.status(400).send(notice(t, t.invalidLinkTitle, t.invalidLinkBody));
  };

  /** The reader's data, or undefined once the answer (invalid or expired link) has been sent. */
  const load = async (req: express.Request, res: express.Response, token: string): Promise<ReaderData | undefined> => {
    const target = services.links.inspectPreferences(token);
    const data = target && (await readerData(services.pool, target.subscriberId));
    if (!target || !data) {
      invalid(req, res);
      return undefined;
    }
    if (target.expired) {
      const t = readerCatalogue(req, data);
      res.status(410).send(page(t, t.linkExpiredTitle, paragraph(t.preferencesExpiredBody) + buttonForm(`/preferences/${encodeURIComponent(token)}/renew`, t.sendNewLinkButton)));
      return undefined;
    }
    return data;
  };

  router.get('/preferences/:token', async (req, res) => {
    const data = await load(req, res, req.params.token);
    if (!data) return;
    const t = readerCatalogue(req, data);
    res.send(page(t, t.preferencesTitle, preferencesBody(t, req.params.token, data)));
  });

  router.get('/preferences/:token/data.json', async (req, res) => {
    const target = services.links.readPreferences(req.params.token);
    const data = target && (await readerData(services.pool, target.subscriberId));
    if (!data) return res.status(400).json({ error: requestCatalogue(req).invalidLinkBody });
    res.set({ 'Content-Disposition': 'attachment; filename="my-newsletter-data.json"', 'Cache-Control': 'no-store' }).json(data);
  });

  router.post('/preferences/:token', readForm, async (req, res) => {
    const data = await load(req, res, req.params.token as string);
    if (!data) return;
    const raw = (req.body as Record<string, unknown>)?.list;
    const chosen = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(Number).filter(Number.isSafeInteger);
    await setReaderLists(services.pool, data.subscriber.id, chosen);
    services.log.info({ event: 'preferences.saved', subscriberId: data.subscriber.id, lists: chosen }, 'preferences saved');
    const updated = (await readerData(services.pool, data.subscriber.id))!;
    const t = readerCatalogue(req, updated);
    res.send(page(t, t.preferencesTitle, paragraph(t.preferencesSaved) + preferencesBody(t, req.params.token as string, updated)));
  });

  router.post('/preferences/:token/delete', readForm, async (req, res) => {
    const data = await load(req, res, req.params.token as string);
    if (!data) return;
    const t = readerCatalogue(req, data);
    if ((req.body as Record<string, unknown>)?.confirm !== 'yes') {
      return res.status(400).send(page(t, t.preferencesTitle, paragraph(t.preferencesDeleteNotConfirmed) + preferencesBody(t, req.params.token as string, data)));
    }
    await deleteSubscriber(services.pool, data.subscriber.id);
    services.log.info({ event: 'subscriber.deleted', subscriberId: data.subscriber.id }, 'subscriber deleted at their request');
    res.send(notice(t, t.preferencesDeletedTitle, t.preferencesDeletedBody));
  });

  // A fresh link for the address an (expired) one was sent to: the token names it, nothing is typed.
  router.post('/preferences/:token/renew', readForm, async (req, res) => {
    const target = services.links.inspectPreferences(req.params.token as string);
    const data = target && (await readerData(services.pool, target.subscriberId));
    if (!target || !data) return invalid(req, res);
    const t = readerCatalogue(req, data);
    const result = await readerEmails.subscriptionLinks({ id: data.subscriber.id }, t);
    if (result === 'unknown') return invalid(req, res);
    if (result === 'unreachable') return res.send(notice(t, t.errorTitle, t.unreachableBody));
    res.send(notice(t, t.newLinkSentTitle, result === 'sent' ? t.newLinkSentBody : t.linksEmailLimited));
  });

  return router;
}

/**
 * A subscriber's page speaks the language of their lists: the one they share, or, when their lists differ,
 * the one the browser prefers among them (else the first list's).
 */
export function readerCatalogue(req: express.Request, data: ReaderData): Catalogue {
  const languages = [...new Set(data.subscriptions.map((s) => s.language))];
  if (languages.length === 0) return requestCatalogue(req);
  if (languages.length === 1) return catalogueFor(languages[0]);
  const preferred = negotiateLanguage(req.get('accept-language'));
  return catalogueFor(languages.includes(preferred) ? preferred : languages[0]);
}

const STATUS_LABEL = { confirmed: 'statusConfirmed', unconfirmed: 'statusUnconfirmed', unsubscribed: 'statusUnsubscribed' } as const;

function preferencesBody(t: Catalogue, token: string, data: ReaderData): string {
  const base = `/preferences/${encodeURIComponent(token)}`;
  const lists = data.subscriptions.length
    ? data.subscriptions
        .map(
          (s) => `<p><label><input type="checkbox" name="list" value="${s.listId}"${s.status === 'confirmed' ? ' checked' : ''}> ${escapeHtml(s.name)}</label>
<small>(${escapeHtml(t[STATUS_LABEL[s.status]] ?? s.status)})</small></p>`,
        )
        .join('\n')
    : paragraph(t.preferencesNone);
  return `${paragraph(t.preferencesIntro(data.subscriber.email))}
<form method="post" action="${escapeHtml(base)}">${lists}
<p><button type="submit">${escapeHtml(t.preferencesSave)}</button></p></form>
<h2>${escapeHtml(t.preferencesDataTitle)}</h2>
<p><a href="${escapeHtml(base)}/data.json" download>${escapeHtml(t.preferencesDownload)}</a></p>
<h2>${escapeHtml(t.preferencesDeleteTitle)}</h2>
${paragraph(t.preferencesDeleteExplain)}
<form method="post" action="${escapeHtml(base)}/delete">
<p><label><input type="checkbox" name="confirm" value="yes" required> ${escapeHtml(t.preferencesDeleteConfirm)}</label></p>
<p><button type="submit">${escapeHtml(t.preferencesDeleteButton)}</button></p></form>`;
}
