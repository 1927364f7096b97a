import { Router } from 'express';
import type { Services } from '../../app/services';
import { getIssue } from '../../db/issues';
import { isTidingsError } from '../../errors';
import { escapeHtml, fillMarkers } from '../../render/slots';
import { page, paragraph } from '../pages';
import { strings } from '../strings';
import { PIXEL_GIF } from './tracking';

const NEUTRAL_PIXEL = `data:image/gif;base64,${PIXEL_GIF.toString('base64')}`;

/**
 * GET /archive/:issue — the web version: the issue's own HTML with the personal parts neutralised
 * (the default greeting name, no personal unsubscribe link, no tracking pixel).
 */
export function archiveRoutes(services: Services): Router {
  const router = Router();
  router.get('/archive/:issue', async (req, res) => {
    let issue;
    try {
      issue = await getIssue(services.pool, req.params.issue);
    } catch (err) {
      if (isTidingsError(err) && err.code === 'NOT_FOUND') return res.status(404).send(page(strings.notFoundTitle, paragraph(strings.notFoundBody)));
      throw err;
    }
    const { rows } = await services.pool.query<{ name: string }>(
      'SELECT l.name FROM sends s JOIN lists l ON l.id = s.list_id WHERE s.issue_id = $1 ORDER BY s.id DESC LIMIT 1',
      [issue.id],
    );
    // Every value is escaped: a list name or default name may hold <, & or quotes.
    const values = {
      listName: rows[0]?.name ?? issue.subject,
      webVersionUrl: services.links.webVersion(issue.slug),
      name: issue.defaultName,
      unsubscribeUrl: services.links.unsubscribeHelp(),
      openPixelUrl: NEUTRAL_PIXEL,
    };
    const html = fillMarkers(issue.html, Object.fromEntries(Object.entries(values).map(([slot, value]) => [slot, escapeHtml(value)])));
    res.type('html').send(html);
  });
  return router;
}
