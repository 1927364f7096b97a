import { readFileSync } from 'node:fs';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type Express } from 'express';
import type { Services } from '../../app/services';
import { listRecentSends } from '../../db/recent-sends';
import { collectProcessMetrics, registry, watchQueues } from '../../metrics';
import { getSendStats } from '../../stats/send-stats';
import { sendError } from '../api/route';
import { requireAdminBrowser } from './auth';
import { serveBullBoardOffline } from './bull-board-offline';
import { adminPage } from './page';

const APP_JS = readFileSync(new URL('./admin-app.js', import.meta.url), 'utf8');

/**
 * /admin (the operator page), /admin/queues (Bull Board) and their data, behind ADMIN_TOKEN; /metrics for
 * Prometheus (no personal data in it; keep it off the public internet or scrape it through a proxy).
 */
export function adminRoutes(services: Pick<Services, 'config' | 'queues' | 'pool' | 'log'>): Router {
  const router = Router();
  collectProcessMetrics();
  watchQueues([services.queues.fanout, services.queues.deliver]);
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });

  const auth = requireAdminBrowser(services.config.adminToken);
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: [new BullMQAdapter(services.queues.fanout), new BullMQAdapter(services.queues.deliver)], serverAdapter: board });
  serveBullBoardOffline(board.getRouter() as Express);
  router.use('/admin/queues', auth, board.getRouter());

  router.get('/admin', auth, (_req, res) => {
    res.type('html').send(adminPage());
  });
  router.get('/admin/app.js', auth, (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-cache').send(APP_JS);
  });
  router.get('/admin/data/sends', auth, async (_req, res) => {
    try {
      res.json({ sends: await listRecentSends(services.pool, 20) });
    } catch (err) {
      sendError(res, err, services);
    }
  });
  router.get('/admin/data/sends/:id/stats', auth, async (req, res) => {
    try {
      res.json(await getSendStats(services.pool, Number(req.params.id)));
    } catch (err) {
      sendError(res, err, services);
    }
  });
  return router;
}
