import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../../app/services';
import { csrfProblem, resolvePrincipal } from '../operator-session';

/**
 * Finds who is asking (ADMIN_TOKEN, an operator's API token, or an app session) and refuses a session's
 * state change without its CSRF token. Without any valid credential the answer is the same 401 for every
 * path, existing or not, so it reveals nothing; each route then checks the role it needs.
 */
export function authenticate(services: Services) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const principal = await resolvePrincipal(services, req);
      if (!principal) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="tidings"').json({ error: { code: 'UNAUTHORIZED', message: 'log in, or send a valid bearer token' } });
        return;
      }
      const csrf = csrfProblem(req, principal);
      if (csrf) {
        res.status(403).json({ error: { code: 'CSRF_FAILED', message: csrf } });
        return;
      }
      res.locals.principal = principal;
      next();
    } catch (err) {
      next(err);
    }
  };
}
