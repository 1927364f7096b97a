import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Services } from '../app/services';
import { page, paragraph } from './pages';
import { archiveRoutes } from './routes/archive';
import { healthRoutes } from './routes/health';
import { trackingRoutes } from './routes/tracking';
import { unsubscribeRoutes } from './routes/unsubscribe';
import { strings } from './strings';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** The public routes, in one table. */
export function createApp(services: Services): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    next();
  });
  app.use(healthRoutes(services));
  app.use(trackingRoutes(services));
  app.use(unsubscribeRoutes(services));
  app.use(archiveRoutes(services));
  app.use('/img', express.static(path.join(PUBLIC_DIR, 'img'), { maxAge: '1d', fallthrough: true }));
  app.use((_req, res) => {
    res.status(404).send(page(strings.notFoundTitle, paragraph(strings.notFoundBody)));
  });
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) services.log.error({ event: 'http.error', err }, 'request failed');
    res.status(status).send(page(strings.errorTitle, paragraph(status === 413 ? 'The request body is too large.' : strings.errorBody)));
  });
  return app;
}
