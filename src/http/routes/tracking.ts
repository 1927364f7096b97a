import { Router } from 'express';
import type { Services } from '../../app/services';
import { recordOpen } from '../../db/events';

/** The 43-byte transparent 1×1 GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/**
 * GET /o/:token — the open pixel. The image is always served (a reader never sees a broken image), even
 * when recording fails; a token that does not verify records nothing and answers 404.
 */
export function trackingRoutes(services: Services): Router {
  const router = Router();
  router.get('/o/:token', async (req, res) => {
    const open = services.links.readOpen(req.params.token.replace(/\.gif$/, ''));
    let status = 404;
    if (open) {
      status = 200;
      try {
        const recorded = await recordOpen(services.pool, open.deliveryId, { userAgent: req.get('user-agent') ?? '' });
        if (!recorded) status = 404;
      } catch (err) {
        services.log.error({ event: 'open.record_failed', deliveryId: open.deliveryId, err }, 'could not record an open');
      }
    }
    res
      .status(status)
      .set({ 'Content-Type': 'image/gif', 'Cache-Control': 'no-store, no-cache, must-revalidate, private', 'Content-Length': String(PIXEL_GIF.length) })
      .end(PIXEL_GIF);
  });
  return router;
}
