import type { NextFunction, Request, Response } from 'express';
import { recordHttpRequest } from '../../metrics';

/**
 * Observes every request's latency under its route pattern (`/o/:token`, never the token itself), so the
 * label set stays small; requests no route matched are labelled `unmatched`.
 */
export function httpMetrics(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const routePath = (req.route as { path?: string } | undefined)?.path;
    const route = routePath ? `${req.baseUrl}${routePath}` : req.baseUrl ? `${req.baseUrl}/*` : 'unmatched';
    recordHttpRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
  });
  next();
}
