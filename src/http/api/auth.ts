import type { NextFunction, Request, Response } from 'express';
import { safeEqual } from '../../bounces/providers/postmark';

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. Without ADMIN_TOKEN configured nothing is
 * allowed. A refusal is the same 401 for every path, existing or not, so it reveals nothing.
 */
export function requireAdminToken(adminToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    const ok = Boolean(adminToken) && match !== null && safeEqual(match[1], adminToken!);
    if (ok) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer realm="tidings"').json({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } });
  };
}
