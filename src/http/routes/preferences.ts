import express, { Router } from 'express';
import type { Services } from '../../app/services';
import { readerData, setReaderLists, type ReaderData } from '../../db/reader-preferences';
import { deleteSubscriber } from '../../db/subscriber-admin';
import { escapeHtml } from '../../render/slots';
import { page, paragraph } from '../pages';
import { strings } from '../strings';

/**
 * A subscriber's own page (GDPR): their lists (change them), their data (download as JSON) and deletion.
 * Reached with a 'preferences' token (from the unsubscribe and confirmation pages; it expires after 7 days).
 * GETs change nothing; changes are POSTs.
 */
export function preferencesRoutes(services: Pick<Services, 'pool' | 'links' | 'log'>): Router {
  const router = Router();
  const readForm = express.urlencoded({ extended: false, limit: '8kb' });
  const invalid = (res: express.Response) => res.status(400).send(page(strings.invalidLinkTitle, paragraph(strings.invalidLinkBody)));

  const load = async (token: string) => {
    const target = services.links.readPreferences(token);
    return target ? readerData(services.pool, target.subscriberId) : undefined;
  };

  router.get('/preferences/:token', async (req, res) => {
    const data = await load(req.params.token);
    if (!data) return invalid(res);
    res.send(page(strings.preferencesTitle, preferencesBody(req.params.token, data)));
  });

  router.get('/preferences/:token/data.json', async (req, res) => {
    const data = await load(req.params.token);
    if (!data) return res.status(400).json({ error: strings.invalidLinkBody });
    res.set({ 'Content-Disposition': 'attachment; filename="my-newsletter-data.json"', 'Cache-Control': 'no-store' }).json(data);
  });

  router.post('/preferences/:token', readForm, async (req, res) => {
    const data = await load(req.params.token as string);
    if (!data) return invalid(res);
    const raw = (req.body as Record<string, unknown>)?.list;
    const chosen = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(Number).filter(Number.isSafeInteger);
    await setReaderLists(services.pool, data.subscriber.id, chosen);
    services.log.info({ event: 'preferences.saved', subscriberId: data.subscriber.id, lists: chosen }, 'preferences saved');
    const updated = (await readerData(services.pool, data.subscriber.id))!;
    res.send(page(strings.preferencesTitle, paragraph(strings.preferencesSaved) + preferencesBody(req.params.token as string, updated)));
  });

  router.post('/preferences/:token/delete', readForm, async (req, res) => {
    const data = await load(req.params.token as string);
    if (!data) return invalid(res);
    if ((req.body as Record<string, unknown>)?.confirm !== 'yes') {
      return res.status(400).send(page(strings.preferencesTitle, paragraph(strings.preferencesDeleteNotConfirmed) + preferencesBody(req.params.token as string, data)));
    }
    await deleteSubscriber(services.pool, data.subscriber.id);
    services.log.info({ event: 'subscriber.deleted', subscriberId: data.subscriber.id }, 'subscriber deleted at their request');
    res.send(page(strings.preferencesDeletedTitle, paragraph(strings.preferencesDeletedBody)));
  });

  return router;
}

function preferencesBody(token: string, data: ReaderData): string {
  const base = `/preferences/${encodeURIComponent(token)}`;
  const lists = data.subscriptions.length
    ? data.subscriptions
        .map(
          (s) => `<p><label><input type="checkbox" name="list" value="${s.listId}"${s.status === 'confirmed' ? ' checked' : ''}> ${escapeHtml(s.name)}</label>
<small>(${escapeHtml(strings.statusLabels[s.status] ?? s.status)})</small></p>`,
        )
        .join('\n')
    : paragraph(strings.preferencesNone);
  return `${paragraph(strings.preferencesIntro(data.subscriber.email))}
<form method="post" action="${escapeHtml(base)}">${lists}
<p><button type="submit">${escapeHtml(strings.preferencesSave)}</button></p></form>
<h2>${escapeHtml(strings.preferencesDataTitle)}</h2>
<p><a href="${escapeHtml(base)}/data.json" download>${escapeHtml(strings.preferencesDownload)}</a></p>
<h2>${escapeHtml(strings.preferencesDeleteTitle)}</h2>
${paragraph(strings.preferencesDeleteExplain)}
<form method="post" action="${escapeHtml(base)}/delete">
<p><label><input type="checkbox" name="confirm" value="yes" required> ${escapeHtml(strings.preferencesDeleteConfirm)}</label></p>
<p><button type="submit">${escapeHtml(strings.preferencesDeleteButton)}</button></p></form>`;
}
