import { Router } from 'express';
import type { TrackingHits } from '../tracking-hits';

export { PIXEL_GIF } from '../tracking-hits';

/**
 * GET /o/:token (the open pixel) and GET /c/:token/:linkId (a tracked link) in Express's route table. The
 * server answers them before Express (TrackingHits.handle); these take what the fast path leaves, with the
 * same handlers.
 */
export function trackingRoutes(hits: TrackingHits): Router {
  const router = Router();
  router.get('/o/:token', (req, res) => hits.open(req, res, req.params.token));
  router.get('/c/:token/:linkId', (req, res) => hits.click(req, res, req.params.token, req.params.linkId));
  return router;
}
