import type { Request } from 'express';
import type { Services } from '../../app/services';
import { hasRole, type Role } from '../../auth/roles';
import { insertAudit } from '../../db/audit';
import type { Principal } from '../operator-session';

/** What access and audit decisions read of a route (route.ts declares the rest). */
export interface RouteAccess {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  tag: string;
  role?: Role | 'public';
  audit?: string | false;
}

/** The least role a route needs: its own `role`, else viewer for reads and editor for changes. */
export function requiredRole(r: Pick<RouteAccess, 'method' | 'role'>): Role | 'public' {
  return r.role ?? (r.method === 'get' ? 'viewer' : 'editor');
}

/** Why this principal may not call this route (401 without one, 403 with too small a role), or undefined. */
export function accessRefusal(r: Pick<RouteAccess, 'method' | 'role'>, principal: Principal | undefined): { code: 'UNAUTHORIZED' | 'FORBIDDEN'; message: string } | undefined {
  const needed = requiredRole(r);
  if (needed === 'public') return undefined;
  if (!principal) return { code: 'UNAUTHORIZED', message: 'log in, or send a valid bearer token' };
  if (!hasRole(principal.role, needed)) return { code: 'FORBIDDEN', message: `this needs the ${needed} role; you are ${principal.role === 'viewer' ? 'a' : 'an'} ${principal.role}` };
  return undefined;
}

/**
 * The audit log's name for a route: its own `audit`, else `<tag>.<verb>`, the verb being the path's last word
 * (`POST /sends/:id/pause` → `sends.pause`) or the method's (`PATCH /lists/:slug` → `lists.update`).
 */
export function auditAction(r: Pick<RouteAccess, 'method' | 'path' | 'tag' | 'audit'>): string | undefined {
  if (r.audit === false || r.method === 'get') return undefined;
  if (r.audit) return r.audit;
  const last = r.path.split('/').filter(Boolean).at(-1) ?? '';
  const byMethod = { post: 'create', put: 'replace', patch: 'update', delete: 'delete', get: 'read' } as const;
  const verb = last.startsWith(':') || last === r.tag ? byMethod[r.method] : last;
  return `${r.tag}.${verb}`;
}

const SECRET_FIELD = /password|token|secret/i;

/** What the audit log keeps of a request body: small values, never a secret. */
export function auditDetails(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (SECRET_FIELD.test(key)) continue;
    const json = JSON.stringify(value);
    if (json !== undefined && json.length <= 500) kept[key] = value;
  }
  return kept;
}

export async function recordApiAudit(services: Services, r: RouteAccess, req: Request, principal: Principal | undefined, params: Record<string, unknown>, body: unknown, result: unknown): Promise<void> {
  const action = auditAction(r);
  if (!action) return;
  const created = result && typeof result === 'object' && 'id' in result ? { id: (result as { id: unknown }).id } : {};
  const target = Object.entries({ ...created, ...params }).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  await insertAudit(services.pool, {
    operatorId: principal?.operatorId ?? null,
    actor: principal?.email ?? 'anonymous',
    action,
    target,
    details: auditDetails(body),
    ip: req.ip,
  }).catch((err) => services.log.error({ event: 'audit.failed', err, action }, 'could not write the audit log'));
}
