import express, { Router } from 'express';
import type { Services } from '../../app/services';
import { authenticate } from './auth';
import { composerRoutes, templateRoutes } from './composer';
import { dashboardRoutes, sendDomainRoutes } from './dashboard';
import { importRoutes } from './imports';
import { issueRoutes } from './issues';
import { listRoutes } from './lists';
import { mediaRoutes } from './media';
import { operatorRoutes, sessionRoutes } from './operators';
import { openApiDocument } from './openapi';
import { mountRoutes, sendError, type ApiRoute } from './route';
import { segmentRoutes } from './segments';
import { sendRoutes } from './sends';
import { subscriberAdminRoutes } from './subscriber-admin';
import { subscriberRoutes } from './subscribers';
import { suppressionRoutes } from './suppressions';
import { webhookRoutes } from './webhooks';

export const API_ROUTES: ApiRoute[] = [...listRoutes, ...subscriberAdminRoutes, ...subscriberRoutes, ...importRoutes, ...composerRoutes, ...issueRoutes, ...sendRoutes, ...suppressionRoutes, ...operatorRoutes, ...dashboardRoutes, ...sendDomainRoutes, ...segmentRoutes, ...templateRoutes, ...mediaRoutes, ...webhookRoutes];
/** The routes anybody may call (logging in, setting a password from a link). */
export const PUBLIC_API_ROUTES: ApiRoute[] = [...sessionRoutes];

/**
 * The admin API, mounted at /api: JSON bodies, the public routes (log in), then a credential (bearer token or
 * session + CSRF token), the routes (each checks its role), and JSON errors. The app uses this same API.
 */
export function apiRouter(services: Services): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb' }));
  mountRoutes(router, PUBLIC_API_ROUTES, services);
  router.use(authenticate(services));
  const document = openApiDocument([...PUBLIC_API_ROUTES, ...API_ROUTES], services.config.publicUrl);
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  mountRoutes(router, API_ROUTES, services);
  router.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no API route ${req.method} /api${req.path}` } });
  });
  router.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => sendError(res, err, services));
  return router;
}
