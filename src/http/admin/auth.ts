import type { NextFunction, Request, Response } from 'express';
import { safeEqual } from '../../bounces/providers/postmark';

/**
 * For the pages a person opens in a browser (/admin, /admin/queues): `Authorization: Bearer <ADMIN_TOKEN>`,
 * or HTTP Basic with ADMIN_TOKEN as the password (any user name), so the browser asks for it once.
 * Compared in constant time; without ADMIN_TOKEN configured nothing is allowed.
 */
export function requireAdminBrowser(adminToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    let given: string | undefined;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) given = bearer[1];
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      given = decoded.slice(decoded.indexOf(':') + 1);
    }
    if (adminToken && given !== undefined && safeEqual(given, adminToken)) return next();
    res.status(401).set('WWW-Authenticate', 'Basic realm="tidings admin", charset="UTF-8"').type('text/plain').send('ADMIN_TOKEN required (as the password)');
  };
}
