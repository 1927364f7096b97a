import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Services } from '../app/services';
import { page, paragraph } from './pages';
import { archiveRoutes } from './routes/archive';
import { clickRoutes } from './routes/click';
import { confirmRoutes } from './routes/confirm';
import { preferencesRoutes } from './routes/preferences';
import { subscribeRoutes } from './routes/subscribe';
import { healthRoutes } from './routes/health';
import { trackingRoutes } from './routes/tracking';
import { unsubscribeRoutes } from './routes/unsubscribe';
import { mediaRoutes } from './routes/media';
import { webhookRoutes } from '../bounces/webhook-routes';
import { adminRoutes } from './admin';
import { httpMetrics } from './admin/http-metrics';
import { apiRouter } from './api';
import { strings } from './strings';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** The public routes, in one table. */
export function createApp(services: Services): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Only X-Forwarded-For from the proxies named in TRUST_PROXY is believed; the Host header never is.
  app.set('trust proxy', services.config.trustProxy);
  // Security headers on every answer (helmet): pages allow inline styles and images from anywhere (the
  // web version shows the images); the pixel and images may be loaded by any mail client.
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { 'img-src': ['*', 'data:'], 'style-src': ["'self'", "'unsafe-inline'"], 'form-action': ["'self'"], 'frame-ancestors': ["'none'"], 'upgrade-insecure-requests': null },
      },
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      referrerPolicy: { policy: 'no-referrer' },
      xFrameOptions: { action: 'deny' },
    }),
  );
  app.use(httpMetrics);
  app.use(healthRoutes(services));
  app.use(trackingRoutes(services));
  app.use(clickRoutes(services));
  app.use(unsubscribeRoutes(services));
  app.use(subscribeRoutes(services));
  app.use(confirmRoutes(services));
  app.use(preferencesRoutes(services));
  app.use(archiveRoutes(services));
  app.use(webhookRoutes(services));
  app.use('/api', apiRouter(services));
  app.use(adminRoutes(services));
  app.use(mediaRoutes(services));
  app.use('/img', express.static(path.join(PUBLIC_DIR, 'img'), { maxAge: '1d', fallthrough: true }));
  // Every browser asks for it on every page; a 404 would be noise in logs and consoles.
  app.get('/favicon.ico', (_req, res) => res.sendFile(path.join(PUBLIC_DIR, 'favicon.ico'), { maxAge: '7d' }));
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
