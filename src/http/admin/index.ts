import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import type { Services } from '../../app/services';
import { hasRole } from '../../auth/roles';
import { collectProcessMetrics, registry, watchQueues } from '../../metrics';
import { APP_DIST } from '../app-dist';
import { resolvePrincipal } from '../operator-session';
import { requireAdminBrowser } from './auth';
import { serveBullBoardOffline } from './bull-board-offline';
import { appShell, appUnbuilt } from './shell';
import { ProgressStream } from './progress-stream';

/** Pages anybody may open: they show a form, no data. */
const PUBLIC_PAGES = new Set(['/admin/login', '/admin/set-password']);

function assets(): { js: string; css: string } | undefined {
  const file = path.join(APP_DIST, 'manifest.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { js: string; css: string }) : undefined;
}

/**
 * The operator app at /admin (its pages need a session; without one they redirect to the login page),
 * its assets, live progress (/admin/events), Bull Board at /admin/queues (owners, or ADMIN_TOKEN), and
 * /metrics for Prometheus (no personal data in it; keep it off the public internet or scrape it through a proxy).
 */
export function adminRoutes(services: Pick<Services, 'config' | 'queues' | 'pool' | 'log'>): { router: Router; close(): void } {
  const router = Router();
  collectProcessMetrics();
  watchQueues([services.queues.fanout, services.queues.deliver]);
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });

  const progress = new ProgressStream(services.pool, (err) => services.log.error({ event: 'admin.progress_failed', err }, 'live progress query failed'));
  const session = (needed: 'viewer' | 'owner') => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const principal = await resolvePrincipal(services, req);
      if (principal?.via === 'session' && hasRole(principal.role, needed)) {
        res.locals.principal = principal;
        return next();
      }
      return next('route');
    } catch (err) {
      next(err);
    }
  };

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({ queues: [new BullMQAdapter(services.queues.fanout), new BullMQAdapter(services.queues.deliver)], serverAdapter: board });
  serveBullBoardOffline(board.getRouter() as Express);
  const adminToken = requireAdminBrowser(services.config.adminToken);
  router.use('/admin/queues', async (req, res, next) => {
    const principal = await resolvePrincipal(services, req).catch(() => undefined);
    if (principal?.via === 'session' && hasRole(principal.role, 'owner')) return next();
    adminToken(req, res, next);
  }, board.getRouter());

  router.use('/admin/assets', express.static(APP_DIST, { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
  router.get('/admin/events', session('viewer'), (_req, res) => progress.add(res));
  router.get('/admin/events', (_req, res) => {
    res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'log in first' } });
  });

  const shell = (_req: Request, res: Response) => {
    const built = assets();
    res.set('Cache-Control', 'no-store');
    if (!built) return res.status(503).type('html').send(appUnbuilt());
    res.type('html').send(appShell(built));
  };
  router.get([...PUBLIC_PAGES], shell);
  router.get(['/admin', '/admin/*path'], session('viewer'), shell);
  router.get(['/admin', '/admin/*path'], (req, res) => {
    // Only a path of the app itself is carried over to after the login: never another site (no open redirect).
    const next = req.originalUrl.startsWith('/admin') && !req.originalUrl.startsWith('//') ? req.originalUrl : '/admin';
    res.redirect(303, `/admin/login?next=${encodeURIComponent(next)}`);
  });
  return { router, close: () => progress.close() };
}
