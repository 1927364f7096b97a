import { Router } from 'express';
import type { Services } from '../../app/services';
import { findClickTarget } from '../../db/issue-links';
import { BurstDetector, clickFlags } from '../event-flags';
import { page, paragraph } from '../pages';
import { strings } from '../strings';

/**
 * GET (and HEAD) /c/:token/:linkId — a tracked link. The target is looked up server-side in the issue's
 * link table by (the delivery's issue, linkId): nothing in the URL is ever redirected to, so there is no
 * open redirect, and a link id of another issue answers 404. Every click is recorded; suspected scanner
 * clicks (HEAD, known agents, within seconds of sending, every link at once) carry flags.
 */
export function clickRoutes(services: Pick<Services, 'pool' | 'links' | 'events'>): Router {
  const router = Router();
  const bursts = new BurstDetector();
  router.get('/c/:token/:linkId', async (req, res) => {
    const click = services.links.readClick(req.params.token);
    const linkId = /^\d{1,9}$/.test(req.params.linkId) ? Number(req.params.linkId) : 0;
    const target = click && linkId > 0 ? await findClickTarget(services.pool, click.deliveryId, linkId) : undefined;
    if (!target) return res.status(404).send(page(strings.notFoundTitle, paragraph(strings.notFoundBody)));
    const now = new Date();
    const userAgent = (req.get('user-agent') ?? '').slice(0, 300);
    const flags = clickFlags({
      method: req.method,
      userAgent,
      sentAt: target.sentAt,
      now,
      burst: bursts.click(target.deliveryId, linkId, now.getTime()),
    });
    services.events.add({ type: 'click', deliveryId: target.deliveryId, occurredAt: now, flags, data: { linkId, userAgent } });
    res.set('Cache-Control', 'no-store, private').redirect(302, target.url);
  });
  return router;
}
