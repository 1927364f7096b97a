import { Router } from 'express';
import type { Services } from '../../app/services';
import { openFlags } from '../event-flags';

/** The 43-byte transparent 1×1 GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

const PIXEL_HEADERS = {
  'Content-Type': 'image/gif',
  'Cache-Control': 'no-store, no-cache, must-revalidate, private',
  'Content-Length': String(PIXEL_GIF.length),
};

/**
 * GET /o/:token — the open pixel. The image is always served (a reader never sees a broken image). A valid
 * token answers 200 at once and the open goes into the event buffer (written in batches, flushed on
 * shutdown); machine opens (Apple Mail Privacy Protection, Google/Yahoo image proxies) are stored with
 * flags. A token that does not verify records nothing and answers 404. No cookies, ever.
 */
export function trackingRoutes(services: Pick<Services, 'links' | 'events'>): Router {
  const router = Router();
  router.get('/o/:token', (req, res) => {
    const open = services.links.readOpen(req.params.token.replace(/\.gif$/, ''));
    if (open) {
      const userAgent = (req.get('user-agent') ?? '').slice(0, 300);
      services.events.add({
        type: 'open',
        deliveryId: open.deliveryId,
        occurredAt: new Date(),
        flags: openFlags(userAgent, req.ip ?? ''),
        data: { userAgent },
      });
    }
    res.status(open ? 200 : 404).set(PIXEL_HEADERS).end(PIXEL_GIF);
  });
  return router;
}
