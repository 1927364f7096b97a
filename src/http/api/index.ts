import express, { Router } from 'express';
import type { Services } from '../../app/services';
import { requireAdminToken } from './auth';
import { importRoutes } from './imports';
import { issueRoutes } from './issues';
import { listRoutes } from './lists';
import { mediaRoutes } from './media';
import { openApiDocument } from './openapi';
import { mountRoutes, sendError, type ApiRoute } from './route';
import { sendRoutes } from './sends';
import { subscriberRoutes } from './subscribers';
import { suppressionRoutes } from './suppressions';

export const API_ROUTES: ApiRoute[] = [...listRoutes, ...subscriberRoutes, ...importRoutes, ...issueRoutes, ...sendRoutes, ...suppressionRoutes, ...mediaRoutes];

/** The admin API, mounted at /api: bearer token first, then JSON bodies, the routes, and JSON errors. */
export function apiRouter(services: Services): Router {
  const router = Router();
  router.use(requireAdminToken(services.config.adminToken));
  router.use(express.json({ limit: '1mb' }));
  const document = openApiDocument(API_ROUTES, services.config.publicUrl);
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
