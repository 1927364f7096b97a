import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Services } from '../app/services';
import { notice, requestCatalogue } from './pages';
import { archiveRoutes } from './routes/archive';
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
import { HELMET_OPTIONS } from './security-headers';
import { ClickTargets } from './click-targets';
import { TrackingHits } from './tracking-hits';
import { ReaderEmails } from './reader-emails';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** The open pixel and tracked links, answered before Express by the server (see server.ts). */
export function createTrackingHits(services: Services): TrackingHits {
  const { links, events, pool, log, config } = services;
  return new TrackingHits({ links, events, clickTargets: new ClickTargets(pool), log, trustProxy: config.trustProxy });
}

/** The public routes, in one table. */
export function createApp(services: Services, hits: TrackingHits = createTrackingHits(services)): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Only X-Forwarded-For from the proxies named in TRUST_PROXY is believed; the Host header never is.
  app.set('trust proxy', services.config.trustProxy);
  app.use(helmet(HELMET_OPTIONS));
  app.use(httpMetrics);
  app.use(healthRoutes(services));
  app.use(trackingRoutes(hits));
  // One set of reader-email limits for every page that sends one.
  const readerEmails = new ReaderEmails(services);
  app.use(unsubscribeRoutes(services, readerEmails));
  app.use(subscribeRoutes(services, readerEmails));
  app.use(confirmRoutes(services, readerEmails));
  app.use(preferencesRoutes(services, readerEmails));
  app.use(archiveRoutes(services));
  app.use(webhookRoutes(services));
  app.use('/api', apiRouter(services));
  const admin = adminRoutes(services);
  app.use(admin.router);
  // Live-progress streams never end on their own: startHttp's close ends them.
  app.locals.closeStreams = admin.close;
  app.use(mediaRoutes(services));
  app.use('/img', express.static(path.join(PUBLIC_DIR, 'img'), { maxAge: '1d', fallthrough: true }));
  // Every browser asks for it on every page; a 404 would be noise in logs and consoles.
  app.get('/favicon.ico', (_req, res) => res.sendFile(path.join(PUBLIC_DIR, 'favicon.ico'), { maxAge: '7d' }));
  app.use((req, res) => {
    const t = requestCatalogue(req);
    res.status(404).send(notice(t, t.notFoundTitle, t.notFoundBody));
  });
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) services.log.error({ event: 'http.error', err }, 'request failed');
    const t = requestCatalogue(req);
    res.status(status).send(notice(t, t.errorTitle, status === 413 ? t.bodyTooLarge : t.errorBody));
  });
  return app;
}
