import type { Request, Response } from 'express';
import { safeEqual } from '../bounces/providers/postmark';
import type { Services } from '../app/services';
import type { Config } from '../config';
import { deleteSession, findApiTokenOperator, findSession, insertSession, type Operator } from '../db/operators';
import type { Role } from '../auth/roles';
import { digest, randomToken } from '../auth/secrets';

/** A session lasts this many days after its last use. */
export const SESSION_DAYS = 14;
export const API_TOKEN_PREFIX = 'tid_';

/** Who is asking: an operator (through the app or one of their API tokens) or the shared ADMIN_TOKEN. */
export interface Principal {
  operatorId: number | null;
  email: string;
  role: Role;
  via: 'session' | 'api-token' | 'admin-token';
  locale: string | null;
  /** Session requests only: the digest of the session id and the token state changes must carry. */
  sessionHash?: string;
  csrfToken?: string;
}

/** `__Host-` (Secure, whole site, no Domain) when PUBLIC_URL is https; browsers refuse that prefix on http. */
export function sessionCookieName(config: Config): string {
  return isSecure(config) ? '__Host-tidings_session' : 'tidings_session';
}

function isSecure(config: Config): boolean {
  return config.publicUrl.startsWith('https:');
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

function fromOperator(operator: Operator, via: Principal['via']): Principal {
  return { operatorId: operator.id, email: operator.email, role: operator.role, via, locale: operator.locale };
}

/** The principal of a request, from its bearer token or its session cookie; undefined when neither is valid. */
export async function resolvePrincipal(services: Pick<Services, 'pool' | 'config'>, req: Request): Promise<Principal | undefined> {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
  if (bearer) {
    if (bearer.startsWith(API_TOKEN_PREFIX)) {
      const operator = await findApiTokenOperator(services.pool, digest(bearer));
      return operator ? fromOperator(operator, 'api-token') : undefined;
    }
    const adminToken = services.config.adminToken;
    if (adminToken && safeEqual(bearer, adminToken)) return { operatorId: null, email: 'ADMIN_TOKEN', role: 'owner', via: 'admin-token', locale: null };
    return undefined;
  }
  const sessionId = cookie(req, sessionCookieName(services.config));
  if (!sessionId) return undefined;
  const sessionHash = digest(sessionId);
  const session = await findSession(services.pool, sessionHash, SESSION_DAYS);
  if (!session) return undefined;
  return { ...fromOperator(session.operator, 'session'), sessionHash, csrfToken: session.csrfToken };
}

/**
 * A state change made with a session cookie must carry the session's CSRF token in X-CSRF-Token (another
 * site can make the browser send the cookie, but cannot read the token), and must not come from another
 * site at all (Sec-Fetch-Site). Bearer tokens are not sent by browsers on their own and need neither.
 */
export function csrfProblem(req: Request, principal: Principal): string | undefined {
  if (principal.via !== 'session' || ['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return undefined;
  if (req.get('sec-fetch-site') === 'cross-site') return 'a request from another site may not change anything';
  const given = req.get('x-csrf-token');
  if (!given || !principal.csrfToken || !safeEqual(given, principal.csrfToken)) return 'the X-CSRF-Token header is missing or wrong; reload the page';
  return undefined;
}

/** Starts a session after a successful login: a new id (never one the client chose), HttpOnly, SameSite=Lax. */
export async function startSession(services: Pick<Services, 'pool' | 'config'>, req: Request, res: Response, operator: Operator): Promise<{ csrfToken: string }> {
  const id = randomToken();
  const csrfToken = randomToken();
  await insertSession(services.pool, { idHash: digest(id), operatorId: operator.id, csrfToken, days: SESSION_DAYS, ip: req.ip, userAgent: req.get('user-agent') });
  res.cookie(sessionCookieName(services.config), id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecure(services.config),
    path: '/',
    maxAge: SESSION_DAYS * 86_400_000,
  });
  return { csrfToken };
}

export async function endSession(services: Pick<Services, 'pool' | 'config'>, res: Response, principal: Principal): Promise<void> {
  if (principal.sessionHash) await deleteSession(services.pool, principal.sessionHash);
  res.clearCookie(sessionCookieName(services.config), { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(services.config) });
}

/** The principal the API middleware resolved for this request. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}
